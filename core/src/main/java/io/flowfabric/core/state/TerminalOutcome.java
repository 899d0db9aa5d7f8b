package io.flowfabric.core.state;

import java.util.Map;

/**
 * How an execution ended (column {@code terminal_outcome}, spec 01 §5.1); {@link #NONE} until it is terminal.
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum TerminalOutcome {
    /** {@code none}: Not terminal. */
    NONE("none"),
    /** {@code success}: Completed by its worker. */
    SUCCESS("success"),
    /** {@code failed}: Failed terminally. */
    FAILED("failed"),
    /** {@code cancelled}: Cancelled by its worker, an operator or a flow. */
    CANCELLED("cancelled"),
    /** {@code expired}: Its execution deadline passed. */
    EXPIRED("expired"),
    /** {@code skipped}: Skipped because its dependencies can no longer be satisfied. */
    SKIPPED("skipped");

    private static final Map<String, TerminalOutcome> BY_LITERAL = Literals.index(values(), TerminalOutcome::literal);

    private final String literal;

    TerminalOutcome(String literal) {
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
    public static TerminalOutcome fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "TerminalOutcome");
    }
}
