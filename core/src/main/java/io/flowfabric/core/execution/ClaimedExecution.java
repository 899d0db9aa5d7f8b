package io.flowfabric.core.execution;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.lease.Handle;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.state.AttemptType;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One execution a worker now holds a lease on (spec 02 §4). The {@link #handle()} is the worker's proof of the lease:
 * pass it (or its {@link #fence()}) to every lease-holder operation. It contains the secret lease id, so it must
 * never be logged.
 *
 * @since 0.1
 */
public record ClaimedExecution(
        Handle handle,
        String attemptId,
        AttemptType attemptType,
        Instant leaseExpiresAt,
        String namespace,
        String executionKind,
        int priority,
        @Nullable FlowId flowId,
        byte[] input,
        String inputEncoding,
        Map<String, String> tags,
        ExecutionPolicy policy,
        Map<String, Payload> dependencyInputs) {

    /**
     * @param dependencyInputs the results of upstreams copied through data-passing edges (spec 03 §8), by their ref;
     *                         empty for executions without such edges
     */
    public ClaimedExecution {
        tags = Map.copyOf(tags);
        dependencyInputs = Map.copyOf(dependencyInputs);
    }

    /** The fence to present on lease-holder writes. */
    public LeaseFence fence() {
        return handle.fence();
    }

    public ExecutionId executionId() {
        return handle.executionId();
    }

    public HandleKind kind() {
        return handle.kind();
    }

    public int attemptIndex() {
        return handle.attemptIndex();
    }

    public long leaseEpoch() {
        return handle.leaseEpoch();
    }

    public String lane() {
        return handle.laneId();
    }

    public Optional<FlowId> flow() {
        return Optional.ofNullable(flowId);
    }

    @Override
    public String toString() {
        // The handle carries the lease id; keep it out of logs.
        return "ClaimedExecution[" + executionId() + ", attempt=" + attemptIndex() + ", epoch=" + leaseEpoch()
                + ", kind=" + kind() + ", lane=" + lane() + "]";
    }
}
