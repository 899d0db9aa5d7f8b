package io.flowfabric.core.state;

import java.util.Map;

/**
 * The execution's view of its current attempt (column {@code attempt_state}, spec 01 §5.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum AttemptState {
    /** {@code none}: No attempt ever ran (only with a terminal outcome). */
    NONE("none"),
    /** {@code pending_first_attempt}: The next claim inserts attempt 0. */
    PENDING_FIRST_ATTEMPT("pending_first_attempt"),
    /** {@code running_attempt}: An attempt runs under a lease. */
    RUNNING_ATTEMPT("running_attempt"),
    /** {@code attempt_interrupted}: The current attempt is paused or lost its lease. */
    ATTEMPT_INTERRUPTED("attempt_interrupted"),
    /** {@code pending_retry_attempt}: The next claim inserts a {@code retry} attempt. */
    PENDING_RETRY_ATTEMPT("pending_retry_attempt"),
    /** {@code pending_replay_attempt}: The next claim inserts a {@code replay} attempt. */
    PENDING_REPLAY_ATTEMPT("pending_replay_attempt"),
    /** {@code attempt_terminal}: The last attempt ended with the execution. */
    ATTEMPT_TERMINAL("attempt_terminal");

    private static final Map<String, AttemptState> BY_LITERAL = Literals.index(values(), AttemptState::literal);

    private final String literal;

    AttemptState(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code none}
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
    public static AttemptState fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "AttemptState");
    }
}
