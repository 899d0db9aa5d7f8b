package io.flowfabric.core.state;

import java.util.Map;

/**
 * The lifecycle of one attempt row (column {@code attempt_lifecycle}, spec 01 §5.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum AttemptLifecycle {
    /** {@code started}: Running, or about to run, under a lease. */
    STARTED("started"),
    /** {@code suspended}: Paused (suspend, delay, wait for children); the same attempt continues on the next claim. */
    SUSPENDED("suspended"),
    /** {@code ended_success}: Ended with the execution's success. */
    ENDED_SUCCESS("ended_success"),
    /** {@code ended_failure}: Ended by a failure, timeout, deadline or retry. */
    ENDED_FAILURE("ended_failure"),
    /** {@code ended_cancelled}: Ended by a cancel. */
    ENDED_CANCELLED("ended_cancelled"),
    /** {@code interrupted_reclaimed}: Lost its lease; a {@code reclaim} attempt follows. */
    INTERRUPTED_RECLAIMED("interrupted_reclaimed"),
    /** {@code created}: Reserved: never written. */
    CREATED("created");

    private static final Map<String, AttemptLifecycle> BY_LITERAL =
            Literals.index(values(), AttemptLifecycle::literal);

    private final String literal;

    AttemptLifecycle(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code started}
     */
    public String literal() {
        return literal;
    }

    /**
     * Looks a value up by its canonical literal.
     *
     * @param literal the literal
     * @return the value
     * @throws IllegalArgumentException when the literal is unknown
     */
    public static AttemptLifecycle fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "AttemptLifecycle");
    }
}
