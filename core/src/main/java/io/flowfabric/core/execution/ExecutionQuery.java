package io.flowfabric.core.execution;

import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which executions {@code listExecutions} returns (spec 02 §7): either one logical partition (keyset on execution id)
 * or one namespace (keyset on creation time, then id), optionally filtered by lane, public states and flow.
 *
 * @since 0.1
 */
public record ExecutionQuery(@Nullable Integer partition, @Nullable String namespace, @Nullable String lane,
                             Set<PublicState> publicStates, @Nullable FlowId flowId) {

    public ExecutionQuery {
        publicStates = publicStates == null || publicStates.isEmpty() ? Set.of() : Set.copyOf(publicStates);
    }

    /** All executions of one logical partition (0..255), ordered by id. */
    public static ExecutionQuery byPartition(int partition) {
        return new ExecutionQuery(partition, null, null, Set.of(), null);
    }

    /** All executions of one namespace, ordered by creation time. */
    public static ExecutionQuery byNamespace(String namespace) {
        return new ExecutionQuery(null, namespace, null, Set.of(), null);
    }

    public ExecutionQuery withLane(String lane) {
        return new ExecutionQuery(partition, namespace, lane, publicStates, flowId);
    }

    public ExecutionQuery withStates(PublicState first, PublicState... more) {
        return new ExecutionQuery(partition, namespace, lane, EnumSet.of(first, more), flowId);
    }

    public ExecutionQuery withFlow(FlowId flow) {
        return new ExecutionQuery(partition, namespace, lane, publicStates, flow);
    }
}
