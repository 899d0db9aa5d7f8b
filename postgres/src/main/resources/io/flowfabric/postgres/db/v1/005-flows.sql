--liquibase formatted sql logicalFilePath:flowfabric/v1/005-flows.sql

--changeset flowfabric:v1-005-flow-core splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Flows (spec 03 §1, §10). The stored state is open or cancelled; the derived state lives in ff_flow_summary.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_flow_core', $ddl$
    partition_key        smallint NOT NULL,
    flow_id              uuid     NOT NULL,
    namespace            text     NOT NULL,
    flow_kind            text     NOT NULL,
    public_flow_state    text     NOT NULL,
    graph_revision       bigint   NOT NULL DEFAULT 0,
    node_count           integer  NOT NULL DEFAULT 0,
    edge_count           integer  NOT NULL DEFAULT 0,
    tags                 jsonb    NOT NULL DEFAULT '{}',
    instance_tag         text,
    created_at_ms        bigint   NOT NULL,
    terminal_at_ms       bigint,
    cancellation_policy  text,
    cancel_reason        text,
    cancelled_by         text,
    last_mutation_at_ms  bigint   NOT NULL,
    CONSTRAINT ff_flow_core_pkey PRIMARY KEY (partition_key, flow_id),
    CONSTRAINT ff_flow_core_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_flow_core_public_flow_state_check CHECK (public_flow_state IN ('open', 'cancelled')),
    CONSTRAINT ff_flow_core_cancellation_policy_check CHECK (cancellation_policy IN
        ('cancel_all', 'cancel_pending', 'flow_only')),
    CONSTRAINT ff_flow_core_cancelled_check CHECK (
        (public_flow_state = 'cancelled') = (terminal_at_ms IS NOT NULL)
        AND (public_flow_state = 'cancelled') = (cancellation_policy IS NOT NULL)),
    CONSTRAINT ff_flow_core_counters_check CHECK (graph_revision >= 0 AND node_count >= 0 AND edge_count >= 0)
$ddl$, ${ff_physical_partitions});
-- listFlows by namespace (keyset on created time, flow id).
CREATE INDEX ff_flow_core_namespace_idx ON "${ff_schema}".ff_flow_core (namespace, created_at_ms, flow_id);

--changeset flowfabric:v1-005-edge splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Dependency edges (spec 03 §4-§7). Resolution: success, failed (upstream failed, cancelled or expired), skipped.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_edge', $ddl$
    partition_key         smallint NOT NULL,
    flow_id               uuid     NOT NULL,
    edge_id               uuid     NOT NULL,
    upstream_id           uuid     NOT NULL,
    downstream_id         uuid     NOT NULL,
    dependency_kind       text     NOT NULL,
    data_passing_ref      text,
    edge_state            text     NOT NULL,
    resolution            text,
    resolved_by_event_id  bigint,
    staged_at_ms          bigint   NOT NULL,
    applied_at_ms         bigint,
    resolved_at_ms        bigint,
    CONSTRAINT ff_edge_pkey PRIMARY KEY (partition_key, flow_id, edge_id),
    -- Also serves the (flow, upstream) lookups: its leading columns are (partition_key, flow_id, upstream_id).
    CONSTRAINT ff_edge_endpoints_key UNIQUE (partition_key, flow_id, upstream_id, downstream_id),
    CONSTRAINT ff_edge_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_edge_self_edge_check CHECK (upstream_id <> downstream_id),
    CONSTRAINT ff_edge_dependency_kind_check CHECK (dependency_kind IN ('success_only')),
    CONSTRAINT ff_edge_edge_state_check CHECK (edge_state IN ('staged', 'applied', 'resolved')),
    CONSTRAINT ff_edge_resolution_check CHECK (resolution IN ('success', 'failed', 'skipped')),
    CONSTRAINT ff_edge_resolved_check CHECK ((edge_state = 'resolved') = (resolution IS NOT NULL))
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_edge_downstream_idx ON "${ff_schema}".ff_edge (partition_key, flow_id, downstream_id);

--changeset flowfabric:v1-005-edge-group splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Edge groups: the policy, counters and latched decision of one downstream (spec 03 §3, §5, §6).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_edge_group', $ddl$
    partition_key            smallint NOT NULL,
    flow_id                  uuid     NOT NULL,
    downstream_id            uuid     NOT NULL,
    policy_kind              text     NOT NULL,
    quorum_k                 integer,
    on_satisfied             text,
    staged_count             integer  NOT NULL DEFAULT 0,
    success_count            integer  NOT NULL DEFAULT 0,
    failed_count             integer  NOT NULL DEFAULT 0,
    skipped_count            integer  NOT NULL DEFAULT 0,
    sealed_at_ms             bigint,
    group_state              text     NOT NULL,
    decided_at_ms            bigint,
    decided_by_event_id      bigint,
    cancel_siblings_pending  boolean  NOT NULL DEFAULT false,
    CONSTRAINT ff_edge_group_pkey PRIMARY KEY (partition_key, flow_id, downstream_id),
    CONSTRAINT ff_edge_group_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_edge_group_policy_kind_check CHECK (policy_kind IN ('all_of', 'any_of', 'quorum')),
    CONSTRAINT ff_edge_group_quorum_k_check CHECK ((policy_kind = 'quorum') = (quorum_k IS NOT NULL) AND quorum_k >= 1),
    CONSTRAINT ff_edge_group_on_satisfied_check CHECK (on_satisfied IN ('cancel_remaining', 'let_run')),
    CONSTRAINT ff_edge_group_group_state_check CHECK (group_state IN ('pending', 'satisfied', 'impossible')),
    CONSTRAINT ff_edge_group_decided_check CHECK ((group_state = 'pending') = (decided_at_ms IS NULL)),
    CONSTRAINT ff_edge_group_counters_check CHECK (staged_count >= 0 AND success_count >= 0 AND failed_count >= 0
        AND skipped_count >= 0 AND success_count + failed_count + skipped_count <= staged_count)
$ddl$, ${ff_physical_partitions});
-- Sibling-cancel reconciler: groups whose flag is still set.
CREATE INDEX ff_edge_group_cancel_siblings_idx ON "${ff_schema}".ff_edge_group (partition_key, flow_id)
    WHERE cancel_siblings_pending;

--changeset flowfabric:v1-005-dependency-input splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Upstream results copied for a downstream under a data-passing ref (spec 03 §8).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_dependency_input', $ddl$
    partition_key  smallint NOT NULL,
    downstream_id  uuid     NOT NULL,
    ref            text     NOT NULL,
    upstream_id    uuid     NOT NULL,
    payload        bytea    NOT NULL,
    encoding       text,
    copied_at_ms   bigint   NOT NULL,
    CONSTRAINT ff_dependency_input_pkey PRIMARY KEY (partition_key, downstream_id, ref),
    CONSTRAINT ff_dependency_input_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-005-sibling-cancel splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Queued sibling cancels (spec 03 §9).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_sibling_cancel', $ddl$
    partition_key   smallint NOT NULL,
    flow_id         uuid     NOT NULL,
    downstream_id   uuid     NOT NULL,
    target_id       uuid     NOT NULL,
    reason          text     NOT NULL,
    enqueued_at_ms  bigint   NOT NULL,
    CONSTRAINT ff_sibling_cancel_pkey PRIMARY KEY (partition_key, flow_id, downstream_id, target_id),
    CONSTRAINT ff_sibling_cancel_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_sibling_cancel_reason_check CHECK (reason IN
        ('sibling_quorum_satisfied', 'sibling_quorum_impossible'))
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_sibling_cancel_enqueued_idx ON "${ff_schema}".ff_sibling_cancel (enqueued_at_ms);

--changeset flowfabric:v1-005-cancel-backlog splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Flow-cancel backlog header (spec 03 §10); grace_until_ms is the drain lease picked up by the reconciler.
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_cancel_backlog', $ddl$
    partition_key    smallint NOT NULL,
    flow_id          uuid     NOT NULL,
    policy           text     NOT NULL,
    reason           text,
    requested_by     text,
    requested_at_ms  bigint   NOT NULL,
    grace_until_ms   bigint   NOT NULL,
    member_total     integer  NOT NULL DEFAULT 0,
    CONSTRAINT ff_cancel_backlog_pkey PRIMARY KEY (partition_key, flow_id),
    CONSTRAINT ff_cancel_backlog_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_cancel_backlog_policy_check CHECK (policy IN ('cancel_all', 'cancel_pending', 'flow_only')),
    CONSTRAINT ff_cancel_backlog_member_total_check CHECK (member_total >= 0)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_cancel_backlog_grace_idx ON "${ff_schema}".ff_cancel_backlog (grace_until_ms);

--changeset flowfabric:v1-005-cancel-backlog-member splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Members still to be cancelled by a flow cancel (spec 03 §10).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_cancel_backlog_member', $ddl$
    partition_key  smallint NOT NULL,
    flow_id        uuid     NOT NULL,
    execution_id   uuid     NOT NULL,
    CONSTRAINT ff_cancel_backlog_member_pkey PRIMARY KEY (partition_key, flow_id, execution_id),
    CONSTRAINT ff_cancel_backlog_member_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});

--changeset flowfabric:v1-005-flow-dirty splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Flows whose summary must be recomputed (spec 03 §12, 08 flow_summary).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_flow_dirty', $ddl$
    partition_key  smallint NOT NULL,
    flow_id        uuid     NOT NULL,
    marked_at_ms   bigint   NOT NULL,
    CONSTRAINT ff_flow_dirty_pkey PRIMARY KEY (partition_key, flow_id),
    CONSTRAINT ff_flow_dirty_partition_key_check CHECK (partition_key BETWEEN 0 AND 255)
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_flow_dirty_marked_idx ON "${ff_schema}".ff_flow_dirty (marked_at_ms);

--changeset flowfabric:v1-005-flow-summary splitStatements:false logicalFilePath:flowfabric/v1/005-flows.sql
--comment: Flow projection: member counts per public state and the derived state (spec 03 §12).
CALL "${ff_schema}".ff_install_hot_table('${ff_schema}', 'ff_flow_summary', $ddl$
    partition_key           smallint NOT NULL,
    flow_id                 uuid     NOT NULL,
    waiting_count           integer  NOT NULL DEFAULT 0,
    delayed_count           integer  NOT NULL DEFAULT 0,
    rate_limited_count      integer  NOT NULL DEFAULT 0,
    waiting_children_count  integer  NOT NULL DEFAULT 0,
    active_count            integer  NOT NULL DEFAULT 0,
    suspended_count         integer  NOT NULL DEFAULT 0,
    resumable_count         integer  NOT NULL DEFAULT 0,
    completed_count         integer  NOT NULL DEFAULT 0,
    failed_count            integer  NOT NULL DEFAULT 0,
    cancelled_count         integer  NOT NULL DEFAULT 0,
    expired_count           integer  NOT NULL DEFAULT 0,
    skipped_count           integer  NOT NULL DEFAULT 0,
    derived_state           text     NOT NULL,
    last_terminal_at_ms     bigint,
    updated_at_ms           bigint   NOT NULL,
    CONSTRAINT ff_flow_summary_pkey PRIMARY KEY (partition_key, flow_id),
    CONSTRAINT ff_flow_summary_partition_key_check CHECK (partition_key BETWEEN 0 AND 255),
    CONSTRAINT ff_flow_summary_derived_state_check CHECK (derived_state IN
        ('open', 'running', 'blocked', 'completed', 'failed', 'cancelled'))
$ddl$, ${ff_physical_partitions});
CREATE INDEX ff_flow_summary_derived_idx ON "${ff_schema}".ff_flow_summary (derived_state, last_terminal_at_ms);
