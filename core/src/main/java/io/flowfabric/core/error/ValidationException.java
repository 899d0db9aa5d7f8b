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
        /** A value breaks its rule (or input slipped past validation: SQLSTATE 22xxx, 23502, 23514). */
        INVALID_INPUT,
        /** A malformed id, or an execution id whose partition is above 255. */
        INVALID_ID,
        /** A flow member id minted for another partition than the flow's. */
        PARTITION_MISMATCH,
        /** A damaged handle: truncated, trailing bytes, bad UTF-8 or an unparseable id. */
        CORRUPT_HANDLE,
        /** A handle of another FlowFabric backend (tags 0x01, 0x03) or the legacy v1 form. */
        HANDLE_FROM_OTHER_BACKEND,
        /** A lease-holder call without a fence. */
        FENCE_REQUIRED,
        /** A lane outside 1-64 bytes of printable ASCII, or with leading or trailing space. */
        INVALID_LANE,
        /** A namespace outside its rule. */
        INVALID_NAMESPACE,
        /** A tag key outside its rule. */
        INVALID_TAG_KEY,
        /** A capability token outside its rule. */
        INVALID_CAPABILITY,
        /** An execution, retry, edge-group, budget or quota policy outside its rules. */
        INVALID_POLICY,
        /** A malformed resume condition. */
        INVALID_CONDITION,
        /** Text that must be JSON is not. */
        INVALID_JSON,
        /** An undecodable event or page cursor, or an unknown cursor version. */
        INVALID_CURSOR,
        /** A size, count or page limit is exceeded; the detail names the limit. */
        LIMIT_EXCEEDED,
        /** An edge from an execution to itself. */
        SELF_EDGE,
        /** An edge that would close a cycle. */
        CYCLE_DETECTED,
        /** The execution is not a member of the flow. */
        NOT_FLOW_MEMBER,
        /** The namespaces of related objects differ. */
        NAMESPACE_MISMATCH,
        /** The edge-group policy is fixed once an edge into the downstream is staged. */
        POLICY_FIXED,
        /** A condition names a waitpoint key that is not bound. */
        UNKNOWN_WAITPOINT_KEY,
        /** A waitpoint token is required and missing. */
        MISSING_TOKEN,
        /** A waitpoint token does not verify. */
        INVALID_TOKEN,
        /** A waitpoint token's signing key has expired. */
        TOKEN_EXPIRED,
        /** A claim or reclaim grant does not verify or does not match the worker. */
        INVALID_GRANT,
        /** A signing key id outside its rule. */
        INVALID_KID,
        /** A signing secret shorter than 32 bytes. */
        WEAK_SECRET,
        /** The budget is not attached to the execution. */
        BUDGET_NOT_ATTACHED,
        /** The execution is not in the expected lane. */
        LANE_MISMATCH
    }

    /** What went wrong. */
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
