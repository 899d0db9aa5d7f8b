package io.flowfabric.core.state;

import java.util.Map;

/**
 * The public state derived from the stored vector by {@link PublicStates#derive} (column {@code public_state},
 * generated; spec 01 §5.3).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum PublicState {
    /** {@code waiting}: Eligible and waiting for a worker (also after a lost lease). */
    WAITING("waiting"),
    /** {@code delayed}: Not eligible until a time (delay, retry backoff, resume delay). */
    DELAYED("delayed"),
    /** {@code rate_limited}: Admission denied by a budget or quota. */
    RATE_LIMITED("rate_limited"),
    /** {@code waiting_children}: Waiting for its dependencies. */
    WAITING_CHILDREN("waiting_children"),
    /** {@code active}: Running under a lease. */
    ACTIVE("active"),
    /** {@code suspended}: Suspended on waitpoints. */
    SUSPENDED("suspended"),
    /** {@code resumable}: The current attempt is paused and ready to be continued by a worker. */
    RESUMABLE("resumable"),
    /** {@code completed}: Terminal with outcome success. */
    COMPLETED("completed"),
    /** {@code failed}: Terminal with outcome failed. */
    FAILED("failed"),
    /** {@code cancelled}: Terminal with outcome cancelled. */
    CANCELLED("cancelled"),
    /** {@code expired}: Terminal with outcome expired. */
    EXPIRED("expired"),
    /** {@code skipped}: Terminal with outcome skipped. */
    SKIPPED("skipped");

    private static final Map<String, PublicState> BY_LITERAL = Literals.index(values(), PublicState::literal);

    private final String literal;

    PublicState(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code waiting}
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
    public static PublicState fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "PublicState");
    }
}
