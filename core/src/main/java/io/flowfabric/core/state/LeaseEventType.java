package io.flowfabric.core.state;

import java.util.Map;

/**
 * The type of a lease event (spec 01 §6.2).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum LeaseEventType {
    /** {@code acquired}: A lease was granted for a fresh or resumed attempt. */
    ACQUIRED("acquired"),
    /** {@code renewed}: The lease was renewed. */
    RENEWED("renewed"),
    /** {@code expired}: The lease TTL passed. */
    EXPIRED("expired"),
    /** {@code reclaimed}: A lease was granted for a {@code reclaim} attempt. */
    RECLAIMED("reclaimed"),
    /** {@code revoked}: An operator, a cancel, a deadline or a timeout ended the lease. */
    REVOKED("revoked"),
    /**
     * {@code released}: The holder ended the lease voluntarily (complete, fail, cancel, suspend, delay, wait for
     * children).
     */
    RELEASED("released");

    private static final Map<String, LeaseEventType> BY_LITERAL = Literals.index(values(), LeaseEventType::literal);

    private final String literal;

    LeaseEventType(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code acquired}
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
    public static LeaseEventType fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "LeaseEventType");
    }
}
