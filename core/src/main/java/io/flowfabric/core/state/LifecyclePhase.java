package io.flowfabric.core.state;

import java.util.Map;

/**
 * The coarse phase of an execution (column {@code lifecycle_phase}, spec 01 §5.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum LifecyclePhase {
    /** {@code submitted}: Reserved: never written; derives {@code waiting}. */
    SUBMITTED("submitted"),
    /** {@code runnable}: Waiting to be claimed, or blocked; eligibility says which. */
    RUNNABLE("runnable"),
    /** {@code active}: Leased by a worker and running an attempt. */
    ACTIVE("active"),
    /** {@code suspended}: Parked on waitpoints until a signal, approval, callback or tool result resumes it. */
    SUSPENDED("suspended"),
    /** {@code terminal}: Finished; the outcome says how. */
    TERMINAL("terminal");

    private static final Map<String, LifecyclePhase> BY_LITERAL = Literals.index(values(), LifecyclePhase::literal);

    private final String literal;

    LifecyclePhase(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code submitted}
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
    public static LifecyclePhase fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "LifecyclePhase");
    }
}
