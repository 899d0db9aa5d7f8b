package io.flowfabric.core.lease;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import java.util.Objects;

/**
 * The opaque proof of a claim that a worker passes to every lease-holder operation (spec 01 §3).
 *
 * <p>Its bytes follow FlowFabric's handle codec v2 with backend tag {@code 0x02} (Postgres): magic {@code 0x02},
 * wire version {@code 0x01}, backend tag, then the execution id, attempt index, attempt id, lease id, lease epoch,
 * lease TTL, lane id and worker instance id (strings as u32 little-endian length plus UTF-8, the index as u32 LE,
 * epoch and TTL as u64 LE). The text form is the bytes in base64url without padding. The {@linkplain #kind() kind}
 * travels with the object but is not part of the bytes.
 *
 * <p>The handle is not signed. The engine fences on the values persisted with the lease, and the random lease id
 * inside makes a handle impossible to guess; whoever holds a handle holds the lease. Never log a handle, its bytes or
 * its text; {@link #toString()} shows only the lease id's fingerprint.
 *
 * @param executionId      the execution
 * @param attemptIndex     the attempt the lease was granted for, ≥ 0
 * @param attemptId        the attempt's id
 * @param leaseId          the lease id (a secret)
 * @param leaseEpoch       the execution's lease epoch at the grant, ≥ 0
 * @param leaseTtlMs       the lease TTL in milliseconds, ≥ 0
 * @param laneId           the lane the execution was claimed from
 * @param workerInstanceId the worker instance holding the lease
 * @param kind             how the claim related to the attempts
 * @since 0.1
 */
public record Handle(
        ExecutionId executionId,
        int attemptIndex,
        String attemptId,
        LeaseId leaseId,
        long leaseEpoch,
        long leaseTtlMs,
        String laneId,
        String workerInstanceId,
        HandleKind kind) {

    /**
     * Creates the handle.
     *
     * @param executionId      the execution
     * @param attemptIndex     the attempt index, ≥ 0
     * @param attemptId        the attempt's id
     * @param leaseId          the lease id
     * @param leaseEpoch       the lease epoch, ≥ 0
     * @param leaseTtlMs       the lease TTL in milliseconds, ≥ 0
     * @param laneId           the lane
     * @param workerInstanceId the worker instance
     * @param kind             the handle kind
     * @throws ValidationException {@code INVALID_INPUT} when a number is negative
     */
    public Handle {
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(attemptId, "attemptId");
        Objects.requireNonNull(leaseId, "leaseId");
        Objects.requireNonNull(laneId, "laneId");
        Objects.requireNonNull(workerInstanceId, "workerInstanceId");
        Objects.requireNonNull(kind, "kind");
        if (attemptIndex < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "attemptIndex must be >= 0");
        }
        if (leaseEpoch < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "leaseEpoch must be >= 0");
        }
        if (leaseTtlMs < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "leaseTtlMs must be >= 0");
        }
    }

    /**
     * The fence of this handle: execution id, attempt index, lease epoch and lease id.
     *
     * @return the fence
     */
    public LeaseFence fence() {
        return new LeaseFence(executionId, attemptIndex, leaseEpoch, leaseId);
    }

    /**
     * The wire bytes (codec v2, backend tag Postgres). The kind is not included.
     *
     * @return a new array on every call
     */
    public byte[] encode() {
        return HandleCodec.encode(this);
    }

    /**
     * The text form: {@link #encode()} in base64url without padding.
     *
     * @return the text
     */
    public String toText() {
        return HandleCodec.toText(this);
    }

    /**
     * Decodes wire bytes strictly.
     *
     * @param bytes the bytes
     * @param kind  the kind to attach (it is not part of the bytes)
     * @return the handle
     * @throws ValidationException {@code HANDLE_FROM_OTHER_BACKEND} for backend tags {@code 0x01} and {@code 0x03}
     *                             and for the legacy v1 form; {@code CORRUPT_HANDLE} for anything else that is not
     *                             exactly one well-formed handle (truncated input, trailing bytes, bad UTF-8, an
     *                             unparseable execution or lease id, an unknown magic, version or tag)
     */
    public static Handle decode(byte[] bytes, HandleKind kind) {
        return HandleCodec.decode(bytes, kind);
    }

    /**
     * Decodes the base64url text form strictly.
     *
     * @param text the text
     * @param kind the kind to attach
     * @return the handle
     * @throws ValidationException as {@link #decode(byte[], HandleKind)}, and {@code CORRUPT_HANDLE} when the text
     *                             is not base64url
     */
    public static Handle fromText(String text, HandleKind kind) {
        return HandleCodec.fromText(text, kind);
    }

    /** @return a description without the lease id, which appears as its fingerprint */
    @Override
    public String toString() {
        return "Handle[executionId=" + executionId + ", attemptIndex=" + attemptIndex + ", attemptId=" + attemptId
                + ", lease=" + leaseId.fingerprint() + ", leaseEpoch=" + leaseEpoch + ", leaseTtlMs=" + leaseTtlMs
                + ", laneId=" + laneId + ", workerInstanceId=" + workerInstanceId + ", kind=" + kind + "]";
    }
}
