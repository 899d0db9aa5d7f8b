package io.flowfabric.core.lease;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import java.util.Objects;

/**
 * The four values a lease-holder operation is checked against after the execution row is locked (spec 01 §6.3):
 * execution id, attempt index, lease epoch and lease id. A {@link Handle} supplies all four.
 *
 * <p>{@link #toString()} shows the lease id's fingerprint only.
 *
 * @param executionId  the execution
 * @param attemptIndex the attempt the lease was granted for, ≥ 0
 * @param leaseEpoch   the epoch of the lease grant, ≥ 0
 * @param leaseId      the random lease id; a secret
 * @since 0.1
 */
public record LeaseFence(ExecutionId executionId, int attemptIndex, long leaseEpoch, LeaseId leaseId) {

    /**
     * Creates the fence.
     *
     * @param executionId  the execution
     * @param attemptIndex the attempt index, ≥ 0
     * @param leaseEpoch   the lease epoch, ≥ 0
     * @param leaseId      the lease id
     * @throws ValidationException {@code INVALID_INPUT} when the index or epoch is negative
     */
    public LeaseFence {
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(leaseId, "leaseId");
        if (attemptIndex < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "attemptIndex must be >= 0");
        }
        if (leaseEpoch < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "leaseEpoch must be >= 0");
        }
    }

    /** @return the fence with the lease id replaced by its fingerprint */
    @Override
    public String toString() {
        return "LeaseFence[executionId=" + executionId + ", attemptIndex=" + attemptIndex + ", leaseEpoch="
                + leaseEpoch + ", lease=" + leaseId.fingerprint() + "]";
    }
}
