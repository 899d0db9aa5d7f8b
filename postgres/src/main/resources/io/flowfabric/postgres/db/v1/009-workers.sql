--liquibase formatted sql logicalFilePath:flowfabric/v1/009-workers.sql

--changeset flowfabric:v1-009-worker splitStatements:false logicalFilePath:flowfabric/v1/009-workers.sql
--comment: Worker registry (spec 02 §11), on the FNV-1a partition of worker_instance_id.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_worker', $ddl$
    partition_key       smallint NOT NULL,
    namespace           text     NOT NULL,
    worker_instance_id  text     NOT NULL,
    worker_id           text     NOT NULL,
    lanes               text[]   NOT NULL DEFAULT '{}',
    capabilities        text[]   NOT NULL DEFAULT '{}',
    liveness_ttl_ms     bigint   NOT NULL,
    last_heartbeat_ms   bigint   NOT NULL,
    expires_at_ms       bigint   NOT NULL,
    registered_at_ms    bigint   NOT NULL,
    CONSTRAINT ff_worker_pkey PRIMARY KEY (partition_key, namespace, worker_instance_id),
    CONSTRAINT ff_worker_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_worker_expires_idx ON "${ff_schema}".ff_worker (expires_at_ms);
-- listWorkers: one namespace ordered by instance id, across partitions.
CREATE INDEX ff_worker_namespace_idx ON "${ff_schema}".ff_worker (namespace, worker_instance_id);

--changeset flowfabric:v1-009-worker-event splitStatements:false logicalFilePath:flowfabric/v1/009-workers.sql
--comment: Worker audit events (spec 01 §9.3), pruned by age; event_id from its own sequence.
CREATE SEQUENCE "${ff_schema}".ff_worker_event_event_id_seq AS bigint;
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_worker_event', $ddl$
    partition_key       smallint NOT NULL,
    event_id            bigint   NOT NULL DEFAULT nextval('"${ff_schema}".ff_worker_event_event_id_seq'::regclass),
    namespace           text     NOT NULL,
    worker_instance_id  text     NOT NULL,
    event_kind          text     NOT NULL,
    reason              text,
    occurred_at_ms      bigint   NOT NULL,
    CONSTRAINT ff_worker_event_pkey PRIMARY KEY (partition_key, event_id),
    CONSTRAINT ff_worker_event_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_worker_event_event_kind_check CHECK (event_kind IN
        ('registered', 'refreshed', 'marked_dead', 'ttl_swept'))
$ddl$, ${ff_physical_partitions});
ALTER SEQUENCE "${ff_schema}".ff_worker_event_event_id_seq OWNED BY "${ff_schema}".ff_worker_event.event_id;
CREATE INDEX ff_worker_event_occurred_idx ON "${ff_schema}".ff_worker_event (occurred_at_ms);
