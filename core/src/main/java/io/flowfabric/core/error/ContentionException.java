package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Concurrent work got in the way: a serialization failure, deadlock or lock timeout (retried inside the unit of work;
 * exhaustion gives {@code RETRY_EXHAUSTED} with the last cause attached), or a lost compare-and-set on a flow's graph
 * revision. Always retryable.
 *
 * @since 0.1
 */
public final class ContentionException extends FlowFabricException {

    /** The kinds of contention (spec 01 §7). */
    public enum Kind {
        /** SQLSTATE 40001; retried inside the unit of work. */
        SERIALIZATION_FAILURE,
        /** SQLSTATE 40P01; retried inside the unit of work. */
        DEADLOCK,
        /** SQLSTATE 55P03 (lock_timeout); retried inside the unit of work. */
        LOCK_TIMEOUT,
        /** The unit of work failed on every attempt; the last cause is attached. */
        RETRY_EXHAUSTED,
        /** A flow's graph revision changed since it was read. */
        STALE_GRAPH_REVISION
    }

    /** What went wrong. */
    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     */
    public ContentionException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     * @param cause  the underlying failure, if any
     */
    public ContentionException(Kind kind, String detail, @Nullable Throwable cause) {
        super("CONTENTION", Objects.requireNonNull(kind, "kind").name(), detail, cause);
        this.kind = kind;
    }

    /** @return what went wrong */
    public Kind kind() {
        return kind;
    }

    /** @return always {@code true} */
    @Override
    public boolean retryable() {
        return true;
    }
}
