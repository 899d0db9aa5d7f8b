package io.flowfabric.postgres.flows;

import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.id.ExecutionId;
import io.r2dbc.spi.Readable;
import java.util.UUID;

/** One {@code ff_edge_group} row. */
record GroupRow(int partition, UUID flowId, UUID downstreamId, EdgeGroupPolicy policy, int staged, int success,
                int failed, int skipped, boolean sealed, GroupDecision state, boolean cancelSiblingsPending) {

    static final String COLUMNS = """
            g.partition_key, g.flow_id, g.downstream_id, g.policy_kind, g.quorum_k, g.on_satisfied, g.staged_count,
            g.success_count, g.failed_count, g.skipped_count, g.sealed_at_ms IS NOT NULL AS sealed, g.group_state,
            g.cancel_siblings_pending""";

    static GroupRow read(Readable r) {
        Integer k = r.get("quorum_k", Integer.class);
        String on = r.get("on_satisfied", String.class);
        return new GroupRow(r.get("partition_key", Short.class), r.get("flow_id", UUID.class),
                r.get("downstream_id", UUID.class),
                EdgeGroupPolicy.of(r.get("policy_kind", String.class), k == null ? 0 : k,
                        on == null ? "let_run" : on),
                r.get("staged_count", Integer.class), r.get("success_count", Integer.class),
                r.get("failed_count", Integer.class), r.get("skipped_count", Integer.class),
                Boolean.TRUE.equals(r.get("sealed", Boolean.class)),
                GroupDecision.fromLiteral(r.get("group_state", String.class)),
                Boolean.TRUE.equals(r.get("cancel_siblings_pending", Boolean.class)));
    }

    int unresolved() {
        return staged - success - failed - skipped;
    }

    GroupDecision evaluate() {
        return GroupDecision.evaluate(policy, staged, success, failed, skipped);
    }

    EdgeGroupSnapshot snapshot() {
        return new EdgeGroupSnapshot(ExecutionId.of(partition, downstreamId), policy, staged, success, failed,
                skipped, unresolved(), sealed, state, cancelSiblingsPending);
    }

    /** The stored columns of a policy: kind, quorum k (null unless quorum), on_satisfied (null for all_of). */
    static Object[] policyColumns(EdgeGroupPolicy policy) {
        return new Object[] {policy.kind(),
                policy instanceof EdgeGroupPolicy.Quorum q ? (Object) q.k() : new io.flowfabric.postgres.sql.Bind(Integer.class),
                policy instanceof EdgeGroupPolicy.AllOf ? new io.flowfabric.postgres.sql.Bind(String.class)
                        : policy.onSatisfied().literal()};
    }
}
