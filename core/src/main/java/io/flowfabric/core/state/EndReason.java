package io.flowfabric.core.state;

import java.util.Map;

/**
 * Why an attempt ended (spec 01 §5.1); the same values close streams and waitpoints, which also use {@link
 * #RESUMED} and {@link #EXPIRED}.
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum EndReason {
    /** {@code completed}: The worker completed the execution. */
    COMPLETED("completed"),
    /** {@code failed}: The worker failed the execution terminally. */
    FAILED("failed"),
    /** {@code retry_scheduled}: The worker failed and a retry was scheduled. */
    RETRY_SCHEDULED("retry_scheduled"),
    /** {@code cancelled}: Cancelled by the worker, an operator or a flow. */
    CANCELLED("cancelled"),
    /** {@code attempt_timeout}: The attempt exceeded the policy's attempt timeout. */
    ATTEMPT_TIMEOUT("attempt_timeout"),
    /** {@code execution_deadline}: The execution's deadline passed. */
    EXECUTION_DEADLINE("execution_deadline"),
    /** {@code lease_expired}: The lease expired. */
    LEASE_EXPIRED("lease_expired"),
    /** {@code lease_revoked}: The lease was revoked. */
    LEASE_REVOKED("lease_revoked"),
    /** {@code suspension_timeout}: The suspension timed out. */
    SUSPENSION_TIMEOUT("suspension_timeout"),
    /** {@code reclaim_cap_exceeded}: The lease was lost more often than {@code maxReclaimCount} allows. */
    RECLAIM_CAP_EXCEEDED("reclaim_cap_exceeded"),
    /** {@code skipped}: Skipped because its dependencies can no longer be satisfied. */
    SKIPPED("skipped"),
    /** {@code resumed}: Waitpoints only: the suspension was resumed. */
    RESUMED("resumed"),
    /** {@code expired}: Waitpoints only: the waitpoint expired. */
    EXPIRED("expired");

    private static final Map<String, EndReason> BY_LITERAL = Literals.index(values(), EndReason::literal);

    private final String literal;

    EndReason(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code completed}
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
    public static EndReason fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "EndReason");
    }
}
