--liquibase formatted sql logicalFilePath:flowfabric/v1/003-install-helper.sql

--changeset flowfabric:v1-003-install-helper splitStatements:false logicalFilePath:flowfabric/v1/003-install-helper.sql
--comment: Install-time helper that creates a hot table, hash-partitioned on partition_key when P > 1 (spec 01 §2).
-- It exists only while the v1 changesets run: 011-finish.sql drops it, and a later migration that adds a hot table
-- creates its own copy in its own changeset. EXECUTE is revoked from PUBLIC meanwhile.
-- With P = 1 the table is a plain table. With P > 1 it is PARTITION BY HASH (partition_key) with the P partitions
-- <table>_p0 .. <table>_p(P-1) (MODULUS P, REMAINDER i); indexes created afterwards on the parent cascade to them.
CREATE PROCEDURE "${ff_schema}".ff_install_hot_table(
        p_schema text, p_table text, p_definition text, p_partitions integer)
    LANGUAGE plpgsql
AS $$
DECLARE
    i integer;
BEGIN
    IF p_partitions IS NULL OR p_partitions NOT IN (1, 2, 4, 8, 16, 32) THEN
        RAISE EXCEPTION 'physical partition count must be 1, 2, 4, 8, 16 or 32, got %', p_partitions;
    END IF;
    IF p_partitions = 1 THEN
        EXECUTE format('CREATE TABLE %I.%I (%s)', p_schema, p_table, p_definition);
    ELSE
        EXECUTE format('CREATE TABLE %I.%I (%s) PARTITION BY HASH (partition_key)', p_schema, p_table, p_definition);
        FOR i IN 0 .. p_partitions - 1 LOOP
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                           p_schema, p_table || '_p' || i, p_schema, p_table, p_partitions, i);
        END LOOP;
    END IF;
END
$$;
REVOKE ALL ON PROCEDURE "${ff_schema}".ff_install_hot_table(text, text, text, integer) FROM PUBLIC;
