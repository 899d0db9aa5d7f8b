package io.flowfabric.core.state;

import java.util.Map;

/**
 * Why an attempt was inserted (column {@code attempt_type}, spec 01 §6.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum AttemptType {
    /** {@code initial}: Attempt 0. */
    INITIAL("initial"),
    /** {@code retry}: After a failure with retries left. */
    RETRY("retry"),
    /** {@code reclaim}: After a lost (expired or revoked) lease. */
    RECLAIM("reclaim"),
    /** {@code replay}: After an operator replay. */
    REPLAY("replay");

    private static final Map<String, AttemptType> BY_LITERAL = Literals.index(values(), AttemptType::literal);

    private final String literal;

    AttemptType(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code initial}
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
    public static AttemptType fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "AttemptType");
    }
}
