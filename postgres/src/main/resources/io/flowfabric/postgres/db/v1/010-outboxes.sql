--liquibase formatted sql logicalFilePath:flowfabric/v1/010-outboxes.sql

--changeset flowfabric:v1-010-completion-event splitStatements:false logicalFilePath:flowfabric/v1/010-outboxes.sql
--comment: Completion outbox (spec 04 §1): exactly one row per terminal transition.
-- Sequences keep the default CACHE 1: ids are allocated in insert order; commit order comes from tx_id (04 §4).
CREATE SEQUENCE "${ff_schema}".ff_completion_event_event_id_seq AS bigint;
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_completion_event', $ddl$
    partition_key              smallint NOT NULL,
    event_id                   bigint   NOT NULL DEFAULT nextval('"${ff_schema}".ff_completion_event_event_id_seq'::regclass),
    tx_id                      xid8     NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at_ms             bigint   NOT NULL,
    namespace                  text     NOT NULL,
    instance_tag               text,
    execution_id               uuid     NOT NULL,
    flow_id                    uuid,
    outcome                    text     NOT NULL,
    attempt_index              integer,
    dispatched_at_ms           bigint,
    dispatch_claimed_until_ms  bigint,
    CONSTRAINT ff_completion_event_pkey PRIMARY KEY (partition_key, event_id),
    CONSTRAINT ff_completion_event_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_completion_event_outcome_check CHECK (outcome IN
        ('success', 'failed', 'cancelled', 'expired', 'skipped'))
$ddl$, ${ff_physical_partitions});
ALTER SEQUENCE "${ff_schema}".ff_completion_event_event_id_seq
    OWNED BY "${ff_schema}".ff_completion_event.event_id;
CREATE INDEX ff_completion_event_cursor_idx ON "${ff_schema}".ff_completion_event (tx_id, event_id);
CREATE INDEX ff_completion_event_undispatched_idx ON "${ff_schema}".ff_completion_event (tx_id, event_id)
    WHERE dispatched_at_ms IS NULL;
CREATE INDEX ff_completion_event_execution_idx ON "${ff_schema}".ff_completion_event (partition_key, execution_id);

--changeset flowfabric:v1-010-lease-event splitStatements:false logicalFilePath:flowfabric/v1/010-outboxes.sql
--comment: Lease outbox (spec 04 §1, 01 §6.2). Lease ids never appear here, only their fingerprint.
CREATE SEQUENCE "${ff_schema}".ff_lease_event_event_id_seq AS bigint;
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_lease_event', $ddl$
    partition_key        smallint NOT NULL,
    event_id             bigint   NOT NULL DEFAULT nextval('"${ff_schema}".ff_lease_event_event_id_seq'::regclass),
    tx_id                xid8     NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at_ms       bigint   NOT NULL,
    namespace            text     NOT NULL,
    instance_tag         text,
    execution_id         uuid     NOT NULL,
    attempt_index        integer  NOT NULL,
    lease_epoch          bigint   NOT NULL,
    event_type           text     NOT NULL,
    worker_id            text,
    worker_instance_id   text,
    lease_expires_at_ms  bigint,
    reason               text,
    lease_fingerprint    text     NOT NULL,
    CONSTRAINT ff_lease_event_pkey PRIMARY KEY (partition_key, event_id),
    CONSTRAINT ff_lease_event_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_lease_event_event_type_check CHECK (event_type IN
        ('acquired', 'renewed', 'expired', 'reclaimed', 'revoked', 'released')),
    CONSTRAINT ff_lease_event_lease_fingerprint_check CHECK (lease_fingerprint ~ '^[0-9a-f]{16}$')
$ddl$, ${ff_physical_partitions});
ALTER SEQUENCE "${ff_schema}".ff_lease_event_event_id_seq OWNED BY "${ff_schema}".ff_lease_event.event_id;
CREATE INDEX ff_lease_event_cursor_idx ON "${ff_schema}".ff_lease_event (tx_id, event_id);

--changeset flowfabric:v1-010-signal-event splitStatements:false logicalFilePath:flowfabric/v1/010-outboxes.sql
--comment: Signal outbox (spec 04 §1, 06 §5): one row per accepted signal, with its effect.
CREATE SEQUENCE "${ff_schema}".ff_signal_event_event_id_seq AS bigint;
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_signal_event', $ddl$
    partition_key    smallint NOT NULL,
    event_id         bigint   NOT NULL DEFAULT nextval('"${ff_schema}".ff_signal_event_event_id_seq'::regclass),
    tx_id            xid8     NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at_ms   bigint   NOT NULL,
    namespace        text     NOT NULL,
    instance_tag     text,
    execution_id     uuid     NOT NULL,
    signal_id        uuid     NOT NULL,
    waitpoint_id     uuid,
    waitpoint_key    text,
    signal_name      text     NOT NULL,
    source_type      text,
    source_identity  text,
    effect           text     NOT NULL,
    CONSTRAINT ff_signal_event_pkey PRIMARY KEY (partition_key, event_id),
    CONSTRAINT ff_signal_event_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_signal_event_effect_check CHECK (effect IN ('buffered', 'appended', 'resume_condition_satisfied'))
$ddl$, ${ff_physical_partitions});
ALTER SEQUENCE "${ff_schema}".ff_signal_event_event_id_seq OWNED BY "${ff_schema}".ff_signal_event.event_id;
CREATE INDEX ff_signal_event_cursor_idx ON "${ff_schema}".ff_signal_event (tx_id, event_id);

--changeset flowfabric:v1-010-operator-event splitStatements:false logicalFilePath:flowfabric/v1/010-outboxes.sql
--comment: Operator outbox (spec 04 §1). Namespace is NULL for subjects without one (signing keys).
CREATE SEQUENCE "${ff_schema}".ff_operator_event_event_id_seq AS bigint;
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_operator_event', $ddl$
    partition_key   smallint NOT NULL,
    event_id        bigint   NOT NULL DEFAULT nextval('"${ff_schema}".ff_operator_event_event_id_seq'::regclass),
    tx_id           xid8     NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at_ms  bigint   NOT NULL,
    namespace       text,
    instance_tag    text,
    subject_kind    text     NOT NULL,
    subject_id      text     NOT NULL,
    event_type      text     NOT NULL,
    actor           text,
    details         jsonb    NOT NULL DEFAULT '{}',
    CONSTRAINT ff_operator_event_pkey PRIMARY KEY (partition_key, event_id),
    CONSTRAINT ff_operator_event_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_operator_event_subject_kind_check CHECK (subject_kind IN
        ('execution', 'flow', 'budget', 'quota_policy', 'worker', 'signing_key')),
    CONSTRAINT ff_operator_event_event_type_check CHECK (event_type IN
        ('priority_changed', 'replayed', 'execution_cancelled', 'lease_revoked', 'execution_resumed',
         'suspension_escalated', 'flow_cancel_requested', 'budget_soft_breach', 'budget_hard_breach',
         'budget_enforced', 'budget_reset', 'worker_marked_dead', 'signing_key_seeded', 'signing_key_rotated'))
$ddl$, ${ff_physical_partitions});
ALTER SEQUENCE "${ff_schema}".ff_operator_event_event_id_seq OWNED BY "${ff_schema}".ff_operator_event.event_id;
CREATE INDEX ff_operator_event_cursor_idx ON "${ff_schema}".ff_operator_event (tx_id, event_id);
