package io.flowfabric.postgres.executions;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.sql.Tx;
import java.util.UUID;
import reactor.core.publisher.Mono;

/**
 * Internal. The flow side of {@code replayExecution} for a flow member (spec 02 §8.4, 03 §11), in the caller's
 * transaction; implemented by the flows package.
 */
public interface MemberReplay {

    /**
     * What {@link #lock} found.
     *
     * @param row           the locked execution row
     * @param flowCancelled whether the member's flow is cancelled
     * @param grouped       whether the execution is the downstream of a sealed edge group, which {@link #resetGroup}
     *                      must then reset
     */
    record Locked(ExecRow row, boolean flowCancelled, boolean grouped) {
    }

    /**
     * Takes the locks of a member's replay in the engine's lock order: the flow row ({@code FOR SHARE}, so a flow
     * cancel cannot select members between this check and the commit), the execution's edge group, then the
     * execution row (by subscribing to {@code lockExecution}) and, when it has a sealed group, its upstreams
     * ({@code FOR SHARE}) in key order. Completes empty when {@code lockExecution} does.
     */
    Mono<Locked> lock(Tx tx, ExecutionId id, UUID flowId, Mono<ExecRow> lockExecution);

    /**
     * Resets the execution's group (03 §11 steps 1–4) after the caller wrote the execution as a replay waiting for
     * its dependencies: clears the latch and the queued sibling cancels, clears non-success resolutions, resolves
     * at once the edges whose upstream is terminal and evaluates the decision, releasing or skipping the execution
     * on a transition.
     */
    Mono<Void> resetGroup(Tx tx, ExecutionId id, UUID flowId);
}
