package io.flowfabric.core.execution;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.StateVector;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@code describeExecution} reports about one execution (spec 02 §7), read in one statement. The current
 * lease is described without its lease id, which never leaves the claim result.
 *
 * @since 0.1
 */
public record ExecutionSnapshot(
        ExecutionId executionId,
        @Nullable FlowId flowId,
        String namespace,
        String lane,
        String executionKind,
        int priority,
        Map<String, String> tags,
        List<String> requiredCapabilities,
        StateVector state,
        PublicState publicState,
        @Nullable String blockingDetail,
        Counters counters,
        Times times,
        @Nullable Progress progress,
        @Nullable String lastFailureMessage,
        @Nullable String lastFailureCategory,
        @Nullable String cancellationReason,
        @Nullable String cancelledBy,
        @Nullable AttemptSnapshot currentAttempt,
        @Nullable LeaseSnapshot currentLease,
        @Nullable String currentSuspensionId) {

    public ExecutionSnapshot {
        tags = Map.copyOf(tags);
        requiredCapabilities = List.copyOf(requiredCapabilities);
    }

    public Optional<FlowId> flow() {
        return Optional.ofNullable(flowId);
    }

    public Optional<AttemptSnapshot> attempt() {
        return Optional.ofNullable(currentAttempt);
    }

    public Optional<LeaseSnapshot> lease() {
        return Optional.ofNullable(currentLease);
    }

    /** The execution's counters. {@code currentAttemptIndex} is {@code null} before the first claim. */
    public record Counters(int attemptCount, @Nullable Integer currentAttemptIndex, int retryCount, int replayCount,
                           int leaseReclaimCount, int signalCount, long leaseEpoch) {
    }

    /** Timestamps on the database clock; {@code null} when not (yet) set. */
    public record Times(Instant createdAt, @Nullable Instant startedAt, @Nullable Instant terminalAt,
                        Instant lastMutationAt, @Nullable Instant delayUntil, @Nullable Instant deadlineAt,
                        @Nullable Instant attemptDeadlineAt) {
    }

    /** The last progress report of the lease holder. */
    public record Progress(@Nullable Integer percent, @Nullable String message, Instant reportedAt) {
    }

    /** The current lease, without its id. */
    public record LeaseSnapshot(long leaseEpoch, String workerId, String workerInstanceId, Instant grantedAt,
                                Instant expiresAt, long ttlMs) {
    }
}
