package io.flowfabric.core.execution;

import io.flowfabric.core.state.AttemptLifecycle;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.core.state.EndReason;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One attempt row (spec 01 §6). Lease ids are never exposed; {@code leaseEpoch} is the epoch the attempt's last lease
 * was granted at.
 *
 * @since 0.1
 */
public record AttemptSnapshot(
        int attemptIndex,
        String attemptId,
        AttemptType type,
        AttemptLifecycle lifecycle,
        long leaseEpoch,
        @Nullable String workerId,
        @Nullable String workerInstanceId,
        Instant startedAt,
        @Nullable Instant lastGrantedAt,
        @Nullable Instant endedAt,
        @Nullable EndReason endReason,
        long activeMs) {
}
