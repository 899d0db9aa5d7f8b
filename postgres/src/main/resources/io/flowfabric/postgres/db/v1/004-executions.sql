--liquibase formatted sql logicalFilePath:flowfabric/v1/004-executions.sql

--changeset flowfabric:v1-004-exec-core splitStatements:false logicalFilePath:flowfabric/v1/004-executions.sql
--comment: ff_exec_core (spec 01 §9.2): one row per execution, with the state vector of 01 §5 and its invariants.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_exec_core', $ddl$
    partition_key               smallint NOT NULL,
    execution_id                uuid     NOT NULL,
    -- identity
    namespace                   text     NOT NULL,
    lane_id                     text     NOT NULL,
    execution_kind              text     NOT NULL,
    flow_id                     uuid,
    creator_identity            text,
    idempotency_key             text,
    -- payload
    input_payload               bytea    NOT NULL,
    input_encoding              text     NOT NULL,
    result_payload              bytea,
    result_encoding             text,
    -- routing
    priority                    integer  NOT NULL DEFAULT 0,
    required_capabilities       text[]   NOT NULL DEFAULT '{}',
    budget_ids                  uuid[]   NOT NULL DEFAULT '{}',
    quota_policy_id             uuid,
    -- policy and tags
    policy                      jsonb    NOT NULL,
    tags                        jsonb    NOT NULL DEFAULT '{}',
    instance_tag                text,
    -- state (spec 01 §5); every transition writes all six stored fields
    lifecycle_phase             text     NOT NULL,
    ownership_state             text     NOT NULL,
    eligibility_state           text     NOT NULL,
    blocking_reason             text     NOT NULL,
    blocking_detail             text,
    terminal_outcome            text     NOT NULL,
    attempt_state               text     NOT NULL,
    public_state                text     GENERATED ALWAYS AS ("${ff_schema}".ff_public_state(
                                    lifecycle_phase, ownership_state, eligibility_state, attempt_state,
                                    terminal_outcome)) STORED,
    -- counters
    attempt_count               integer  NOT NULL DEFAULT 0,
    current_attempt_index       integer,
    retry_count                 integer  NOT NULL DEFAULT 0,
    replay_count                integer  NOT NULL DEFAULT 0,
    lease_reclaim_count         integer  NOT NULL DEFAULT 0,
    signal_count                integer  NOT NULL DEFAULT 0,
    -- lease
    lease_epoch                 bigint   NOT NULL DEFAULT 0,
    current_lease_id            uuid,
    lease_expires_at_ms         bigint,
    lease_ttl_ms                bigint,
    lease_granted_at_ms         bigint,
    current_worker_id           text,
    current_worker_instance_id  text,
    -- times
    created_at_ms               bigint   NOT NULL,
    started_at_ms               bigint,
    terminal_at_ms              bigint,
    last_mutation_at_ms         bigint   NOT NULL,
    delay_until_ms              bigint,
    deadline_at_ms              bigint,
    attempt_deadline_at_ms      bigint,
    -- reservation by a claim or reclaim grant (reserved_grant_id = ff_claim_grant.grant_id)
    reserved_until_ms           bigint,
    reserved_grant_id           bytea,
    -- progress and failure
    progress_pct                integer,
    progress_message            text,
    progress_at_ms              bigint,
    last_failure_message        text,
    last_failure_category       text,
    cancellation_reason         text,
    cancelled_by                text,
    -- suspension
    current_suspension_id       uuid,

    CONSTRAINT ff_exec_core_pkey PRIMARY KEY (partition_key, execution_id),
    CONSTRAINT ff_exec_core_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_exec_core_lifecycle_phase_check CHECK (lifecycle_phase IN
        ('submitted', 'runnable', 'active', 'suspended', 'terminal')),
    CONSTRAINT ff_exec_core_ownership_state_check CHECK (ownership_state IN
        ('unowned', 'leased', 'lease_expired_reclaimable', 'lease_revoked')),
    CONSTRAINT ff_exec_core_eligibility_state_check CHECK (eligibility_state IN
        ('eligible_now', 'not_eligible_until_time', 'blocked_by_dependencies', 'blocked_by_budget',
         'blocked_by_quota', 'blocked_by_route', 'blocked_by_lane_state', 'blocked_by_operator', 'not_applicable')),
    CONSTRAINT ff_exec_core_blocking_reason_check CHECK (blocking_reason IN
        ('none', 'waiting_for_worker', 'waiting_for_retry_backoff', 'waiting_for_resume_delay', 'waiting_for_delay',
         'waiting_for_signal', 'waiting_for_approval', 'waiting_for_callback', 'waiting_for_tool_result',
         'waiting_for_children', 'waiting_for_budget', 'waiting_for_quota', 'waiting_for_capable_worker',
         'waiting_for_locality_match', 'paused_by_operator', 'paused_by_policy', 'paused_by_flow_cancel')),
    CONSTRAINT ff_exec_core_terminal_outcome_check CHECK (terminal_outcome IN
        ('none', 'success', 'failed', 'cancelled', 'expired', 'skipped')),
    CONSTRAINT ff_exec_core_attempt_state_check CHECK (attempt_state IN
        ('none', 'pending_first_attempt', 'running_attempt', 'attempt_interrupted', 'pending_retry_attempt',
         'pending_replay_attempt', 'attempt_terminal')),
    -- A vector outside the derivation table of 01 §5.3 derives NULL and is rejected here.
    CONSTRAINT ff_exec_core_public_state_check CHECK (public_state IS NOT NULL AND public_state IN
        ('waiting', 'delayed', 'rate_limited', 'waiting_children', 'active', 'suspended', 'resumable', 'completed',
         'failed', 'cancelled', 'expired', 'skipped')),
    -- Invariants of 01 §5.4.
    CONSTRAINT ff_exec_core_active_leased_check
        CHECK ((lifecycle_phase = 'active') = (ownership_state = 'leased')),
    CONSTRAINT ff_exec_core_active_lease_columns_check
        CHECK ((lifecycle_phase = 'active') = (current_lease_id IS NOT NULL)
           AND (lifecycle_phase = 'active') = (lease_expires_at_ms IS NOT NULL)),
    CONSTRAINT ff_exec_core_active_running_attempt_check
        CHECK ((lifecycle_phase = 'active') = (attempt_state = 'running_attempt')),
    CONSTRAINT ff_exec_core_terminal_outcome_set_check
        CHECK ((lifecycle_phase = 'terminal') = (terminal_outcome <> 'none')),
    CONSTRAINT ff_exec_core_terminal_at_check
        CHECK ((lifecycle_phase = 'terminal') = (terminal_at_ms IS NOT NULL)),
    CONSTRAINT ff_exec_core_delay_until_check
        CHECK (eligibility_state <> 'not_eligible_until_time' OR delay_until_ms IS NOT NULL),
    CONSTRAINT ff_exec_core_current_attempt_index_check
        CHECK ((attempt_count = 0 AND current_attempt_index IS NULL)
            OR (attempt_count > 0 AND current_attempt_index = attempt_count - 1)),
    CONSTRAINT ff_exec_core_counters_check
        CHECK (attempt_count >= 0 AND retry_count >= 0 AND replay_count >= 0 AND lease_reclaim_count >= 0
           AND signal_count >= 0 AND lease_epoch >= 0),
    CONSTRAINT ff_exec_core_priority_check CHECK (priority BETWEEN 0 AND 9000),
    CONSTRAINT ff_exec_core_progress_pct_check CHECK (progress_pct BETWEEN 0 AND 100),
    CONSTRAINT ff_exec_core_reservation_check CHECK ((reserved_until_ms IS NULL) = (reserved_grant_id IS NULL))
$ddl$, ${ff_physical_partitions});

-- Claim (02 §4): runnable and eligible_now, by lane, priority descending, then age, then id.
CREATE INDEX ff_exec_core_claim_idx ON "${ff_schema}".ff_exec_core
    (lane_id, priority DESC, created_at_ms, execution_id)
    WHERE lifecycle_phase = 'runnable' AND eligibility_state = 'eligible_now';
-- Delayed promoter (08): delayed or quota-blocked rows by due time.
CREATE INDEX ff_exec_core_delayed_idx ON "${ff_schema}".ff_exec_core (delay_until_ms)
    WHERE eligibility_state IN ('not_eligible_until_time', 'blocked_by_quota');
-- Lease expiry (08).
CREATE INDEX ff_exec_core_lease_expiry_idx ON "${ff_schema}".ff_exec_core (lease_expires_at_ms)
    WHERE lifecycle_phase = 'active';
-- Attempt timeout (08).
CREATE INDEX ff_exec_core_attempt_timeout_idx ON "${ff_schema}".ff_exec_core (attempt_deadline_at_ms)
    WHERE lifecycle_phase = 'active' AND attempt_deadline_at_ms IS NOT NULL;
-- Execution deadline (08).
CREATE INDEX ff_exec_core_deadline_idx ON "${ff_schema}".ff_exec_core (deadline_at_ms)
    WHERE lifecycle_phase <> 'terminal' AND deadline_at_ms IS NOT NULL;
-- Flow members.
CREATE INDEX ff_exec_core_flow_members_idx ON "${ff_schema}".ff_exec_core (partition_key, flow_id)
    WHERE flow_id IS NOT NULL;
-- Retention of standalone executions.
CREATE INDEX ff_exec_core_retention_idx ON "${ff_schema}".ff_exec_core (terminal_at_ms)
    WHERE lifecycle_phase = 'terminal' AND flow_id IS NULL;
-- Budget unblock (07 §5.3).
CREATE INDEX ff_exec_core_budget_blocked_idx ON "${ff_schema}".ff_exec_core USING gin (budget_ids)
    WHERE eligibility_state = 'blocked_by_budget';
-- Dead-worker lease lookup (02 §11).
CREATE INDEX ff_exec_core_worker_lease_idx ON "${ff_schema}".ff_exec_core (current_worker_instance_id)
    WHERE lifecycle_phase = 'active';
-- Namespace listing (keyset on created time, execution id).
CREATE INDEX ff_exec_core_namespace_idx ON "${ff_schema}".ff_exec_core (namespace, created_at_ms, execution_id);

--changeset flowfabric:v1-004-idempotency splitStatements:false logicalFilePath:flowfabric/v1/004-executions.sql
--comment: Idempotency keys of createExecution, on the partition of (namespace, key) (spec 01 §2).
-- The execution usually lives on another partition, so its partition key is stored next to its UUID.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_idempotency', $ddl$
    partition_key            smallint NOT NULL,
    namespace                text     NOT NULL,
    idempotency_key          text     NOT NULL,
    execution_partition_key  smallint NOT NULL,
    execution_id             uuid     NOT NULL,
    expires_at_ms            bigint   NOT NULL,
    CONSTRAINT ff_idempotency_pkey PRIMARY KEY (partition_key, namespace, idempotency_key),
    CONSTRAINT ff_idempotency_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_idempotency_execution_partition_key_check CHECK (execution_partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_idempotency_expires_idx ON "${ff_schema}".ff_idempotency (expires_at_ms);

--changeset flowfabric:v1-004-attempt splitStatements:false logicalFilePath:flowfabric/v1/004-executions.sql
--comment: Attempts of an execution (spec 01 §5.1, §6).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_attempt', $ddl$
    partition_key        smallint NOT NULL,
    execution_id         uuid     NOT NULL,
    attempt_index        integer  NOT NULL,
    attempt_id           uuid     NOT NULL,
    attempt_type         text     NOT NULL,
    attempt_lifecycle    text     NOT NULL,
    lease_id             uuid,
    lease_epoch          bigint,
    worker_id            text,
    worker_instance_id   text,
    started_at_ms        bigint   NOT NULL,
    last_granted_at_ms   bigint,
    ended_at_ms          bigint,
    end_reason           text,
    end_detail           jsonb,
    active_ms            bigint   NOT NULL DEFAULT 0,
    last_suspension_id   uuid,
    CONSTRAINT ff_attempt_pkey PRIMARY KEY (partition_key, execution_id, attempt_index),
    CONSTRAINT ff_attempt_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_attempt_attempt_index_check CHECK (attempt_index >= 0),
    CONSTRAINT ff_attempt_attempt_type_check CHECK (attempt_type IN ('initial', 'retry', 'reclaim', 'replay')),
    CONSTRAINT ff_attempt_attempt_lifecycle_check CHECK (attempt_lifecycle IN
        ('created', 'started', 'suspended', 'ended_success', 'ended_failure', 'ended_cancelled',
         'interrupted_reclaimed')),
    CONSTRAINT ff_attempt_end_reason_check CHECK (end_reason IN
        ('completed', 'failed', 'retry_scheduled', 'cancelled', 'attempt_timeout', 'execution_deadline',
         'lease_expired', 'lease_revoked', 'suspension_timeout', 'reclaim_cap_exceeded', 'skipped')),
    -- An attempt has ended (its stream is closed, 05 §7) exactly when it has an end time and an end reason.
    CONSTRAINT ff_attempt_ended_check CHECK (
        (attempt_lifecycle IN ('ended_success', 'ended_failure', 'ended_cancelled', 'interrupted_reclaimed'))
            = (ended_at_ms IS NOT NULL)
        AND (ended_at_ms IS NULL) = (end_reason IS NULL)),
    CONSTRAINT ff_attempt_active_ms_check CHECK (active_ms >= 0)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-004-claim-grant splitStatements:false logicalFilePath:flowfabric/v1/004-executions.sql
--comment: Claim and reclaim grants (spec 02 §9, §10), keyed by the SHA-256 of the grant key, on the execution's partition.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_claim_grant', $ddl$
    partition_key       smallint NOT NULL,
    grant_id            bytea    NOT NULL,
    kind                text     NOT NULL,
    execution_id        uuid     NOT NULL,
    worker_id           text     NOT NULL,
    worker_instance_id  text     NOT NULL,
    lane_id             text     NOT NULL,
    kid                 text     NOT NULL,
    issued_at_ms        bigint   NOT NULL,
    expires_at_ms       bigint   NOT NULL,
    CONSTRAINT ff_claim_grant_pkey PRIMARY KEY (partition_key, grant_id),
    CONSTRAINT ff_claim_grant_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_claim_grant_grant_id_check CHECK (octet_length(grant_id) = 32),
    CONSTRAINT ff_claim_grant_kind_check CHECK (kind IN ('claim', 'reclaim'))
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_claim_grant_expires_idx ON "${ff_schema}".ff_claim_grant (expires_at_ms);
CREATE INDEX ff_claim_grant_execution_idx ON "${ff_schema}".ff_claim_grant (partition_key, execution_id);
