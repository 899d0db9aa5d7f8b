package io.flowfabric.core.flows;

import io.flowfabric.core.id.FlowId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@code describeFlow} reports (spec 03 §1).
 *
 * @param state {@code open} or {@code cancelled}
 * @since 0.1
 */
public record FlowSnapshot(FlowId flowId, String namespace, String kind, String state, long graphRevision,
                           int nodeCount, int edgeCount, Map<String, String> tags, Instant createdAt,
                           @Nullable Instant terminalAt, @Nullable String cancellationPolicy,
                           @Nullable String cancelReason, @Nullable String cancelledBy,
                           List<EdgeGroupSnapshot> groups) {

    public FlowSnapshot {
        tags = Map.copyOf(tags);
        groups = List.copyOf(groups);
    }

    /** The same flow with its groups. */
    public FlowSnapshot withGroups(List<EdgeGroupSnapshot> edgeGroups) {
        return new FlowSnapshot(flowId, namespace, kind, state, graphRevision, nodeCount, edgeCount, tags, createdAt,
                terminalAt, cancellationPolicy, cancelReason, cancelledBy, edgeGroups);
    }
}
