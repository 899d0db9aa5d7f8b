package io.flowfabric.core.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The target is not in a state that allows the operation: a fence failure (stale, expired or revoked lease), an
 * execution that is not active, already terminal, not eligible or not suspended, a closed stream or waitpoint, an
 * expired grant, an exhausted replay cap. Never retryable; fence failures are never contention.
 *
 * <p>Some kinds carry structured {@linkplain #details() details}; {@link Kind#EXECUTION_NOT_ACTIVE} carries
 * {@code lifecycle}, {@code publicState}, {@code outcome}, {@code attemptIndex} and {@code leaseEpoch}.
 *
 * @since 0.1
 */
public final class StateException extends FlowFabricException {

    /** The kinds of state failure (spec 01 §7). */
    public enum Kind {
        /** The fence does not match the current lease. */
        STALE_LEASE,
        /** The fenced lease has expired. */
        LEASE_EXPIRED,
        /** The fenced lease was revoked. */
        LEASE_REVOKED,
        /** The fenced lease ended with the execution no longer active; details carry its state. */
        EXECUTION_NOT_ACTIVE,
        /** The execution is already terminal. */
        ALREADY_TERMINAL,
        /** The execution cannot be claimed now. */
        EXECUTION_NOT_ELIGIBLE,
        /** The execution is not suspended. */
        EXECUTION_NOT_SUSPENDED,
        /** The execution is not terminal. */
        EXECUTION_NOT_TERMINAL,
        /** The execution is not resumable. */
        NOT_A_RESUMED_EXECUTION,
        /** The flow is cancelled. */
        FLOW_TERMINAL,
        /** The attempt's stream is closed. */
        STREAM_CLOSED,
        /** The waitpoint is closed. */
        WAITPOINT_CLOSED,
        /** The waitpoint is not pending. */
        WAITPOINT_NOT_PENDING,
        /** The grant has expired. */
        GRANT_EXPIRED,
        /** The grant no longer exists: it was redeemed already or has been removed. */
        GRANT_NOT_REDEEMABLE,
        /** The execution was replayed maxReplayCount times. */
        REPLAY_CAP_EXCEEDED,
        /** The cursor points at pruned records. */
        CURSOR_EXPIRED
    }

    /** What went wrong. */
    private final Kind kind;
    /** Structured values, immutable. */
    private final Map<String, Object> details;

    /**
     * Creates the exception without structured details.
     *
     * @param kind   what state prevented the operation
     * @param detail a human-readable description
     */
    public StateException(Kind kind, String detail) {
        this(kind, detail, Map.of(), null);
    }

    /**
     * Creates the exception with a cause and without structured details.
     *
     * @param kind   what state prevented the operation
     * @param detail a human-readable description
     * @param cause  the underlying failure, if any
     */
    public StateException(Kind kind, String detail, @Nullable Throwable cause) {
        this(kind, detail, Map.of(), cause);
    }

    /**
     * Creates the exception with structured details.
     *
     * @param kind    what state prevented the operation
     * @param detail  a human-readable description
     * @param details structured values, copied in iteration order; entries with a {@code null} value are omitted
     */
    public StateException(Kind kind, String detail, Map<String, ? extends @Nullable Object> details) {
        this(kind, detail, details, null);
    }

    private StateException(Kind kind, String detail, Map<String, ? extends @Nullable Object> details,
            @Nullable Throwable cause) {
        super("STATE", Objects.requireNonNull(kind, "kind").name(), detail, cause);
        this.kind = kind;
        Objects.requireNonNull(details, "details");
        Map<String, Object> copy = new LinkedHashMap<>();
        details.forEach((key, value) -> {
            Objects.requireNonNull(key, "details key");
            if (value != null) {
                copy.put(key, value);
            }
        });
        this.details = Collections.unmodifiableMap(copy);
    }

    /** @return what state prevented the operation */
    public Kind kind() {
        return kind;
    }

    /**
     * Structured values describing the state found, for example {@code lifecycle} and {@code leaseEpoch}.
     *
     * @return an immutable map, empty when the kind carries none
     */
    public Map<String, Object> details() {
        return details;
    }

    /** @return always {@code false} */
    @Override
    public boolean retryable() {
        return false;
    }
}
