package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The request is invalid: a malformed id, handle, cursor or token, a value outside its rule or limit, or a request
 * that contradicts the stored model. Raised before anything is written. Never retryable.
 *
 * @since 0.1
 */
public final class ValidationException extends FlowFabricException {

    /** The kinds of invalid input (spec 01 §7). */
    public enum Kind {
        INVALID_INPUT, INVALID_ID, PARTITION_MISMATCH, CORRUPT_HANDLE, HANDLE_FROM_OTHER_BACKEND,
        FENCE_REQUIRED, INVALID_LANE, INVALID_NAMESPACE, INVALID_TAG_KEY, INVALID_CAPABILITY, INVALID_POLICY,
        INVALID_CONDITION, INVALID_JSON, INVALID_CURSOR, LIMIT_EXCEEDED, SELF_EDGE, CYCLE_DETECTED, NOT_FLOW_MEMBER,
        NAMESPACE_MISMATCH, POLICY_FIXED, UNKNOWN_WAITPOINT_KEY, MISSING_TOKEN, INVALID_TOKEN, TOKEN_EXPIRED,
        INVALID_GRANT, INVALID_KID, WEAK_SECRET, BUDGET_NOT_ATTACHED, LANE_MISMATCH
    }

    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     */
    public ValidationException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     * @param cause  the underlying failure, if any
     */
    public ValidationException(Kind kind, String detail, @Nullable Throwable cause) {
        super("VALIDATION", Objects.requireNonNull(kind, "kind").name(), detail, cause);
        this.kind = kind;
    }

    /** @return what went wrong */
    public Kind kind() {
        return kind;
    }

    /** @return always {@code false} */
    @Override
    public boolean retryable() {
        return false;
    }
}
