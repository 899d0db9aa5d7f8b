package io.flowfabric.core.execution;

import io.flowfabric.core.id.ExecutionId;
import java.time.Instant;

/**
 * An active execution whose lease expired on the database clock but has not been swept yet. No lease id.
 *
 * @since 0.1
 */
public record ExpiredLease(ExecutionId executionId, String namespace, String lane, int attemptIndex, long leaseEpoch,
                           String workerId, String workerInstanceId, Instant leaseExpiresAt) {
}
