--liquibase formatted sql logicalFilePath:flowfabric/v1/011-finish.sql

--changeset flowfabric:v1-011-drop-install-helper splitStatements:false logicalFilePath:flowfabric/v1/011-finish.sql
--comment: The install helper takes DDL text; it must not outlive the install.
DROP PROCEDURE "${ff_schema}".ff_install_hot_table(text, text, text, integer);

--changeset flowfabric:v1-011-schema-version splitStatements:false logicalFilePath:flowfabric/v1/011-finish.sql
--comment: Schema version 1 is complete. Every later migration bumps schema_version in its own changeset.
UPDATE "${ff_schema}".ff_config SET schema_version = 1 WHERE singleton AND schema_version = 0;
