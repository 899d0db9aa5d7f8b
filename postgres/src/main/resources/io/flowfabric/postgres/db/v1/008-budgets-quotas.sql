--liquibase formatted sql logicalFilePath:flowfabric/v1/008-budgets-quotas.sql

--changeset flowfabric:v1-008-budget splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Budgets (spec 07 §1, §2, §7), on the partition of the budget UUID.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_budget', $ddl$
    partition_key              smallint NOT NULL,
    budget_id                  uuid     NOT NULL,
    scope_type                 text     NOT NULL,
    scope_id                   text,
    enforcement_mode           text     NOT NULL,
    on_hard_limit              text     NOT NULL,
    on_soft_limit              text     NOT NULL,
    reset_interval_ms          bigint,
    next_reset_at_ms           bigint,
    breach_count               bigint   NOT NULL DEFAULT 0,
    soft_breach_count          bigint   NOT NULL DEFAULT 0,
    last_breach_at_ms          bigint,
    last_breach_dimension      text,
    enforcement_pending_at_ms  bigint,
    created_at_ms              bigint   NOT NULL,
    updated_at_ms              bigint   NOT NULL,
    CONSTRAINT ff_budget_pkey PRIMARY KEY (partition_key, budget_id),
    CONSTRAINT ff_budget_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_budget_scope_type_check CHECK (scope_type IN ('flow', 'namespace', 'execution', 'custom')),
    CONSTRAINT ff_budget_enforcement_mode_check CHECK (enforcement_mode IN ('enforce', 'observe')),
    CONSTRAINT ff_budget_on_hard_limit_check CHECK (on_hard_limit IN ('block', 'cancel_pending')),
    CONSTRAINT ff_budget_on_soft_limit_check CHECK (on_soft_limit IN ('record', 'notify')),
    CONSTRAINT ff_budget_cancel_pending_scope_check CHECK (on_hard_limit <> 'cancel_pending' OR scope_type = 'flow'),
    CONSTRAINT ff_budget_reset_check CHECK ((reset_interval_ms IS NULL) = (next_reset_at_ms IS NULL)
        AND reset_interval_ms > 0),
    CONSTRAINT ff_budget_counters_check CHECK (breach_count >= 0 AND soft_breach_count >= 0)
$ddl$, ${ff_physical_partitions});
-- Budget reset and enforcement reconcilers (08).
CREATE INDEX ff_budget_next_reset_idx ON "${ff_schema}".ff_budget (next_reset_at_ms)
    WHERE next_reset_at_ms IS NOT NULL;
CREATE INDEX ff_budget_enforcement_pending_idx ON "${ff_schema}".ff_budget (enforcement_pending_at_ms)
    WHERE enforcement_pending_at_ms IS NOT NULL;

--changeset flowfabric:v1-008-budget-dimension splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Budget dimensions: limits and current usage (spec 07 §1, §3).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_budget_dimension', $ddl$
    partition_key      smallint NOT NULL,
    budget_id          uuid     NOT NULL,
    dimension          text     NOT NULL,
    hard_limit         bigint,
    soft_limit         bigint,
    current_value      bigint   NOT NULL DEFAULT 0,
    last_reset_at_ms   bigint,
    CONSTRAINT ff_budget_dimension_pkey PRIMARY KEY (partition_key, budget_id, dimension),
    CONSTRAINT ff_budget_dimension_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_budget_dimension_limits_check CHECK (hard_limit >= 1 AND soft_limit >= 1
        AND soft_limit <= hard_limit),
    CONSTRAINT ff_budget_dimension_current_value_check CHECK (current_value >= 0)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-008-budget-dedup splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Usage-report dedup keys per budget (spec 07 §3); the outcome is stored at the end of the report.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_budget_dedup', $ddl$
    partition_key  smallint NOT NULL,
    budget_id      uuid     NOT NULL,
    dedup_key      text     NOT NULL,
    outcome        jsonb,
    expires_at_ms  bigint   NOT NULL,
    CONSTRAINT ff_budget_dedup_pkey PRIMARY KEY (partition_key, budget_id, dedup_key),
    CONSTRAINT ff_budget_dedup_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_budget_dedup_expires_idx ON "${ff_schema}".ff_budget_dedup (expires_at_ms);

--changeset flowfabric:v1-008-budget-spend splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: The spend ledger of an execution against a budget (spec 07 §4), on the budget's partition.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_budget_spend', $ddl$
    partition_key  smallint NOT NULL,
    budget_id      uuid     NOT NULL,
    execution_id   uuid     NOT NULL,
    dimension      text     NOT NULL,
    amount         bigint   NOT NULL DEFAULT 0,
    CONSTRAINT ff_budget_spend_pkey PRIMARY KEY (partition_key, budget_id, execution_id, dimension),
    CONSTRAINT ff_budget_spend_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_budget_spend_amount_check CHECK (amount >= 0)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-008-quota-policy splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Quota policies (spec 07 §6); 0 means unlimited for max_requests_per_window and max_concurrent.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_quota_policy', $ddl$
    partition_key            smallint NOT NULL,
    quota_policy_id          uuid     NOT NULL,
    window_ms                bigint   NOT NULL,
    max_requests_per_window  integer  NOT NULL,
    max_concurrent           integer  NOT NULL,
    jitter_ms                bigint   NOT NULL DEFAULT 0,
    admission_ttl_ms         bigint   NOT NULL,
    active_concurrency       integer  NOT NULL DEFAULT 0,
    CONSTRAINT ff_quota_policy_pkey PRIMARY KEY (partition_key, quota_policy_id),
    CONSTRAINT ff_quota_policy_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_quota_policy_limits_check CHECK (window_ms > 0 AND max_requests_per_window >= 0
        AND max_concurrent >= 0 AND jitter_ms >= 0 AND admission_ttl_ms > 0 AND active_concurrency >= 0)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-008-quota-window splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Admissions inside the sliding window of a quota policy (spec 07 §6), on the policy's partition.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_quota_window', $ddl$
    partition_key    smallint NOT NULL,
    quota_policy_id  uuid     NOT NULL,
    admitted_at_ms   bigint   NOT NULL,
    execution_id     uuid     NOT NULL,
    CONSTRAINT ff_quota_window_pkey PRIMARY KEY (partition_key, quota_policy_id, admitted_at_ms, execution_id),
    CONSTRAINT ff_quota_window_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_quota_window_admitted_idx ON "${ff_schema}".ff_quota_window (admitted_at_ms);

--changeset flowfabric:v1-008-quota-admission splitStatements:false logicalFilePath:flowfabric/v1/008-budgets-quotas.sql
--comment: Live quota admissions (concurrency slots) per execution (spec 07 §6), on the policy's partition.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_quota_admission', $ddl$
    partition_key    smallint NOT NULL,
    quota_policy_id  uuid     NOT NULL,
    execution_id     uuid     NOT NULL,
    admitted_at_ms   bigint   NOT NULL,
    expires_at_ms    bigint   NOT NULL,
    CONSTRAINT ff_quota_admission_pkey PRIMARY KEY (partition_key, quota_policy_id, execution_id),
    CONSTRAINT ff_quota_admission_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_quota_admission_expires_idx ON "${ff_schema}".ff_quota_admission (expires_at_ms);
