--liquibase formatted sql logicalFilePath:flowfabric/v1/007-streams.sql

--changeset flowfabric:v1-007-stream-meta splitStatements:false logicalFilePath:flowfabric/v1/007-streams.sql
--comment: Per-stream counters (spec 05 §2, §5); created by the first append. Closed state is read from the attempt.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_stream_meta', $ddl$
    partition_key           smallint         NOT NULL,
    execution_id            uuid             NOT NULL,
    attempt_index           integer          NOT NULL,
    next_seq                bigint           NOT NULL DEFAULT 1,
    last_ts_ms              bigint           NOT NULL,
    frame_count             bigint           NOT NULL DEFAULT 0,
    best_effort_count       bigint           NOT NULL DEFAULT 0,
    ema_rate_hz             double precision NOT NULL DEFAULT 0,
    last_best_effort_ts_ms  bigint,
    maxlen_applied          integer,
    CONSTRAINT ff_stream_meta_pkey PRIMARY KEY (partition_key, execution_id, attempt_index),
    CONSTRAINT ff_stream_meta_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_stream_meta_counters_check CHECK (next_seq >= 1 AND frame_count >= 0 AND best_effort_count >= 0)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-007-stream-frame splitStatements:false logicalFilePath:flowfabric/v1/007-streams.sql
--comment: Stream frames (spec 05 §1-§5). Only best-effort frames expire.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_stream_frame', $ddl$
    partition_key   smallint NOT NULL,
    execution_id    uuid     NOT NULL,
    attempt_index   integer  NOT NULL,
    seq             bigint   NOT NULL,
    ts_ms           bigint   NOT NULL,
    mode            text     NOT NULL,
    frame_type      text     NOT NULL,
    encoding        text     NOT NULL,
    payload         bytea    NOT NULL,
    correlation_id  text,
    expires_at_ms   bigint,
    CONSTRAINT ff_stream_frame_pkey PRIMARY KEY (partition_key, execution_id, attempt_index, seq),
    CONSTRAINT ff_stream_frame_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_stream_frame_mode_check CHECK (mode IN ('durable', 'summary', 'best_effort')),
    CONSTRAINT ff_stream_frame_expiry_check CHECK ((mode = 'best_effort') = (expires_at_ms IS NOT NULL))
$ddl$, ${ff_physical_partitions});
-- Best-effort trim (05 §5): the (K+1)-th newest best-effort frame of one stream, then a range delete.
CREATE INDEX ff_stream_frame_best_effort_idx ON "${ff_schema}".ff_stream_frame
    (partition_key, execution_id, attempt_index, seq) WHERE mode = 'best_effort';
-- Stream TTL reconciler.
CREATE INDEX ff_stream_frame_expires_idx ON "${ff_schema}".ff_stream_frame (expires_at_ms)
    WHERE expires_at_ms IS NOT NULL;

--changeset flowfabric:v1-007-stream-summary splitStatements:false logicalFilePath:flowfabric/v1/007-streams.sql
--comment: The JSON Merge Patch summary document of a stream (spec 05 §4).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_stream_summary', $ddl$
    partition_key     smallint NOT NULL,
    execution_id      uuid     NOT NULL,
    attempt_index     integer  NOT NULL,
    document          jsonb    NOT NULL,
    version           bigint   NOT NULL,
    patch_kind        text     NOT NULL,
    first_applied_ms  bigint   NOT NULL,
    last_updated_ms   bigint   NOT NULL,
    CONSTRAINT ff_stream_summary_pkey PRIMARY KEY (partition_key, execution_id, attempt_index),
    CONSTRAINT ff_stream_summary_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_stream_summary_version_check CHECK (version >= 1),
    CONSTRAINT ff_stream_summary_patch_kind_check CHECK (patch_kind IN ('json-merge-patch'))
$ddl$, ${ff_physical_partitions});
