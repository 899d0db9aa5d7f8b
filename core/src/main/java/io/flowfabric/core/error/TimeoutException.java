package io.flowfabric.core.error;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An operation did not finish in time (for example the server cancelled a statement at {@code statement_timeout}).
 * Not retryable as such: the outcome of a write may be unknown, although idempotent operations may be repeated.
 *
 * @since 0.1
 */
public final class TimeoutException extends FlowFabricException {

    /** The operation that timed out. */
    private final String operation;
    /** How long the operation ran. */
    private final Duration elapsed;

    /**
     * Creates the exception.
     *
     * @param operation the operation that timed out, for example {@code complete}
     * @param elapsed   how long it ran before it was given up
     */
    public TimeoutException(String operation, Duration elapsed) {
        this(operation, elapsed, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param operation the operation that timed out, for example {@code complete}
     * @param elapsed   how long it ran before it was given up
     * @param cause     the underlying failure, if any
     */
    public TimeoutException(String operation, Duration elapsed, @Nullable Throwable cause) {
        super("TIMEOUT", Objects.requireNonNull(operation, "operation"),
                operation + " did not finish within " + Objects.requireNonNull(elapsed, "elapsed").toMillis()
                        + " ms",
                cause);
        this.operation = operation;
        this.elapsed = elapsed;
    }

    /** @return the operation that timed out */
    public String operation() {
        return operation;
    }

    /** @return how long the operation ran */
    public Duration elapsed() {
        return elapsed;
    }

    /** @return always {@code false}: the outcome of a write may be unknown */
    @Override
    public boolean retryable() {
        return false;
    }
}
