--liquibase formatted sql logicalFilePath:flowfabric/v1/002-global-tables.sql

--changeset flowfabric:v1-002-config splitStatements:false logicalFilePath:flowfabric/v1/002-global-tables.sql
--comment: The singleton configuration row (spec 01 §2, §10).
-- Written before any partitioned table so that an interrupted install already records P; schema_version stays 0
-- until the last v1 changeset sets it to 1, so a half-installed schema never verifies.
CREATE TABLE "${ff_schema}".ff_config (
    singleton           boolean  NOT NULL DEFAULT true,
    logical_partitions  integer  NOT NULL,
    physical_partitions integer  NOT NULL,
    schema_version      integer  NOT NULL,
    created_at_ms       bigint   NOT NULL,
    CONSTRAINT ff_config_pkey PRIMARY KEY (singleton),
    CONSTRAINT ff_config_singleton_check CHECK (singleton),
    CONSTRAINT ff_config_physical_partitions_check CHECK (physical_partitions IN (1, 2, 4, 8, 16, 32)),
    CONSTRAINT ff_config_schema_version_check CHECK (schema_version >= 0)
);
INSERT INTO "${ff_schema}".ff_config (singleton, logical_partitions, physical_partitions, schema_version, created_at_ms)
VALUES (true, 256, ${ff_physical_partitions}, 0, "${ff_schema}".now_ms());

--changeset flowfabric:v1-002-signing-key splitStatements:false logicalFilePath:flowfabric/v1/002-global-tables.sql
CREATE TABLE "${ff_schema}".ff_signing_key (
    kid            text   NOT NULL,
    secret         bytea  NOT NULL,
    state          text   NOT NULL,
    created_at_ms  bigint NOT NULL,
    retired_at_ms  bigint,
    expires_at_ms  bigint,
    CONSTRAINT ff_signing_key_pkey PRIMARY KEY (kid),
    CONSTRAINT ff_signing_key_state_check CHECK (state IN ('active', 'retired')),
    CONSTRAINT ff_signing_key_retired_check
        CHECK (state = 'active' OR (retired_at_ms IS NOT NULL AND expires_at_ms IS NOT NULL))
);
-- At most one active key.
CREATE UNIQUE INDEX ff_signing_key_one_active_idx ON "${ff_schema}".ff_signing_key (state) WHERE state = 'active';

--changeset flowfabric:v1-002-lane splitStatements:false logicalFilePath:flowfabric/v1/002-global-tables.sql
CREATE TABLE "${ff_schema}".ff_lane (
    lane_id          text   NOT NULL,
    first_seen_at_ms bigint NOT NULL,
    CONSTRAINT ff_lane_pkey PRIMARY KEY (lane_id)
);

--changeset flowfabric:v1-002-outbox-watermark splitStatements:false logicalFilePath:flowfabric/v1/002-global-tables.sql
--comment: How far outbox pruning has advanced, per outbox (spec 04 §4). One row per outbox, starting at (0, 0).
CREATE TABLE "${ff_schema}".ff_outbox_watermark (
    outbox_table  text   NOT NULL,
    tx_id         xid8   NOT NULL,
    event_id      bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    CONSTRAINT ff_outbox_watermark_pkey PRIMARY KEY (outbox_table),
    CONSTRAINT ff_outbox_watermark_outbox_table_check CHECK (outbox_table IN
        ('ff_completion_event', 'ff_lease_event', 'ff_signal_event', 'ff_operator_event'))
);
INSERT INTO "${ff_schema}".ff_outbox_watermark (outbox_table, tx_id, event_id, updated_at_ms)
SELECT t, '0'::xid8, 0, "${ff_schema}".now_ms()
FROM unnest(ARRAY['ff_completion_event', 'ff_lease_event', 'ff_signal_event', 'ff_operator_event']) AS t;
