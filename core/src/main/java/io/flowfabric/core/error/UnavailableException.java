package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The engine cannot serve the request right now: the database is unreachable or failed, the pool is exhausted, the
 * schema does not match, the engine is shutting down, or no signing key exists. Retryable only for
 * {@link Kind#TRANSPORT} and {@link Kind#POOL_EXHAUSTED}.
 *
 * @since 0.1
 */
public final class UnavailableException extends FlowFabricException {

    /** The kinds of unavailability (spec 01 §7). */
    public enum Kind {
        /** The connection failed or the server is going away (SQLSTATE 08xxx, 53xxx, 57P01–57P03). Retryable. */
        TRANSPORT,
        /** No pooled connection could be acquired in time. Retryable. */
        POOL_EXHAUSTED,
        /** Any database error without a more specific mapping. Not retryable. */
        DATABASE_ERROR,
        /** The schema version, logical or physical partition count differ from what the engine requires. */
        SCHEMA_MISMATCH,
        /** The engine is closing and accepts no new work. */
        SHUTTING_DOWN,
        /** No active signing key exists in the keystore. */
        NO_SIGNING_KEY
    }

    /** What went wrong. */
    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind   what is unavailable
     * @param detail the operation or resource involved
     */
    public UnavailableException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param kind   what is unavailable
     * @param detail the operation or resource involved
     * @param cause  the underlying failure, if any
     */
    public UnavailableException(Kind kind, String detail, @Nullable Throwable cause) {
        super("UNAVAILABLE", Objects.requireNonNull(kind, "kind").name(), detail, cause);
        this.kind = kind;
    }

    /** @return what is unavailable */
    public Kind kind() {
        return kind;
    }

    /** @return {@code true} only for {@link Kind#TRANSPORT} and {@link Kind#POOL_EXHAUSTED} */
    @Override
    public boolean retryable() {
        return kind == Kind.TRANSPORT || kind == Kind.POOL_EXHAUSTED;
    }
}
