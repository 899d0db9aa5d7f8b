--liquibase formatted sql logicalFilePath:flowfabric/v1/006-signals.sql

--changeset flowfabric:v1-006-suspension splitStatements:false logicalFilePath:flowfabric/v1/006-signals.sql
--comment: The current suspension of an execution (spec 06 §3); deleted on every resume and terminal transition.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_suspension', $ddl$
    partition_key     smallint NOT NULL,
    execution_id      uuid     NOT NULL,
    suspension_id     uuid     NOT NULL,
    attempt_index     integer  NOT NULL,
    suspended_at_ms   bigint   NOT NULL,
    timeout_at_ms     bigint,
    timeout_behavior  text     NOT NULL,
    reason            text     NOT NULL,
    reason_code       text,
    requested_by      text,
    condition         jsonb    NOT NULL,
    resume_delay_ms   bigint   NOT NULL DEFAULT 0,
    continuation_ref  text,
    CONSTRAINT ff_suspension_pkey PRIMARY KEY (partition_key, execution_id),
    CONSTRAINT ff_suspension_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_suspension_timeout_behavior_check CHECK (timeout_behavior IN
        ('fail', 'cancel', 'expire', 'auto_resume', 'escalate')),
    CONSTRAINT ff_suspension_reason_check CHECK (reason IN ('signal', 'approval', 'callback', 'tool_result')),
    CONSTRAINT ff_suspension_resume_delay_check CHECK (resume_delay_ms >= 0)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_suspension_timeout_idx ON "${ff_schema}".ff_suspension (timeout_at_ms)
    WHERE timeout_at_ms IS NOT NULL;

--changeset flowfabric:v1-006-waitpoint splitStatements:false logicalFilePath:flowfabric/v1/006-signals.sql
--comment: Waitpoints (spec 06 §2, §3, §8). Closed reasons are the attempt end reasons plus resumed and expired.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_waitpoint', $ddl$
    partition_key           smallint NOT NULL,
    waitpoint_id            uuid     NOT NULL,
    execution_id            uuid     NOT NULL,
    waitpoint_key           text     NOT NULL,
    state                   text     NOT NULL,
    suspension_id           uuid,
    token_kid               text     NOT NULL,
    required_signal_names   text[]   NOT NULL DEFAULT '{}',
    created_at_ms           bigint   NOT NULL,
    activated_at_ms         bigint,
    expires_at_ms           bigint,
    closed_at_ms            bigint,
    closed_reason           text,
    CONSTRAINT ff_waitpoint_pkey PRIMARY KEY (partition_key, waitpoint_id),
    CONSTRAINT ff_waitpoint_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_waitpoint_state_check CHECK (state IN ('pending', 'active', 'closed')),
    CONSTRAINT ff_waitpoint_closed_reason_check CHECK (closed_reason IN
        ('completed', 'failed', 'retry_scheduled', 'cancelled', 'attempt_timeout', 'execution_deadline',
         'lease_expired', 'lease_revoked', 'suspension_timeout', 'reclaim_cap_exceeded', 'skipped',
         'resumed', 'expired')),
    CONSTRAINT ff_waitpoint_closed_check CHECK (
        (state = 'closed') = (closed_at_ms IS NOT NULL) AND (state = 'closed') = (closed_reason IS NOT NULL))
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_waitpoint_execution_idx ON "${ff_schema}".ff_waitpoint (partition_key, execution_id);
CREATE INDEX ff_waitpoint_pending_expiry_idx ON "${ff_schema}".ff_waitpoint (expires_at_ms)
    WHERE state = 'pending';

--changeset flowfabric:v1-006-signal splitStatements:false logicalFilePath:flowfabric/v1/006-signals.sql
--comment: Accepted signals (spec 06 §5). The synthetic auto_resume signal has no waitpoint.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_signal', $ddl$
    partition_key     smallint NOT NULL,
    execution_id      uuid     NOT NULL,
    signal_id         uuid     NOT NULL,
    waitpoint_id      uuid,
    waitpoint_key     text,
    suspension_id     uuid,
    signal_name       text     NOT NULL,
    category          text     NOT NULL,
    source_type       text,
    source_identity   text,
    correlation_id    text,
    payload           bytea,
    payload_encoding  text,
    accepted_at_ms    bigint   NOT NULL,
    effect            text     NOT NULL,
    CONSTRAINT ff_signal_pkey PRIMARY KEY (partition_key, execution_id, signal_id),
    CONSTRAINT ff_signal_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_signal_effect_check CHECK (effect IN ('buffered', 'appended', 'resume_condition_satisfied'))
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-006-signal-dedup splitStatements:false logicalFilePath:flowfabric/v1/006-signals.sql
--comment: Signal idempotency keys per execution (spec 06 §5).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_signal_dedup', $ddl$
    partition_key    smallint NOT NULL,
    execution_id     uuid     NOT NULL,
    idempotency_key  text     NOT NULL,
    signal_id        uuid     NOT NULL,
    expires_at_ms    bigint   NOT NULL,
    CONSTRAINT ff_signal_dedup_pkey PRIMARY KEY (partition_key, execution_id, idempotency_key),
    CONSTRAINT ff_signal_dedup_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_signal_dedup_expires_idx ON "${ff_schema}".ff_signal_dedup (expires_at_ms);

--changeset flowfabric:v1-006-suspend-dedup splitStatements:false logicalFilePath:flowfabric/v1/006-signals.sql
--comment: Suspend idempotency keys per execution, with the fence they were recorded under (spec 06 §3).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_suspend_dedup', $ddl$
    partition_key        smallint NOT NULL,
    execution_id         uuid     NOT NULL,
    idempotency_key      text     NOT NULL,
    fence_attempt_index  integer  NOT NULL,
    fence_lease_epoch    bigint   NOT NULL,
    fence_lease_id       uuid     NOT NULL,
    outcome              jsonb    NOT NULL,
    expires_at_ms        bigint   NOT NULL,
    CONSTRAINT ff_suspend_dedup_pkey PRIMARY KEY (partition_key, execution_id, idempotency_key),
    CONSTRAINT ff_suspend_dedup_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_suspend_dedup_expires_idx ON "${ff_schema}".ff_suspend_dedup (expires_at_ms);
