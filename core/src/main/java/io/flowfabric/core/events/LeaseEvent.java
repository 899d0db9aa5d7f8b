package io.flowfabric.core.events;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.LeaseEventType;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One entry of lease history (spec 04 §1): a lease was acquired, renewed, expired, reclaimed, revoked or released.
 * Lease ids never appear; {@link #leaseFingerprint()} (16 hex characters of SHA-256 of the lease id) identifies the
 * lease.
 *
 * @param leaseEpoch the epoch of the lease concerned (the epoch it was granted at)
 * @since 0.1
 */
public record LeaseEvent(EventCursor cursor, long eventId, ExecutionId executionId, int attemptIndex, long leaseEpoch,
                         LeaseEventType type, @Nullable String workerId, @Nullable String workerInstanceId,
                         @Nullable Instant leaseExpiresAt, @Nullable String reason, String leaseFingerprint,
                         String namespace, @Nullable String instanceTag, Instant occurredAt, boolean gap) {
}
