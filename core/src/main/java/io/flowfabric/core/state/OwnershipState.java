package io.flowfabric.core.state;

import java.util.Map;

/**
 * Who holds the execution (column {@code ownership_state}, spec 01 §5.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum OwnershipState {
    /** {@code unowned}: No lease is held. */
    UNOWNED("unowned"),
    /** {@code leased}: A worker holds a live lease. */
    LEASED("leased"),
    /** {@code lease_expired_reclaimable}: The lease expired; the next claim starts a {@code reclaim} attempt. */
    LEASE_EXPIRED_RECLAIMABLE("lease_expired_reclaimable"),
    /** {@code lease_revoked}: An operator revoked the lease; the next claim starts a {@code reclaim} attempt. */
    LEASE_REVOKED("lease_revoked");

    private static final Map<String, OwnershipState> BY_LITERAL = Literals.index(values(), OwnershipState::literal);

    private final String literal;

    OwnershipState(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code unowned}
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
    public static OwnershipState fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "OwnershipState");
    }
}
