package io.flowfabric.core.state;

import java.util.Map;

/**
 * Whether a runnable execution may be claimed now (column {@code eligibility_state}, spec 01 §5.1).
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum EligibilityState {
    /** {@code eligible_now}: May be claimed now. */
    ELIGIBLE_NOW("eligible_now"),
    /** {@code not_eligible_until_time}: Delayed until {@code delay_until_ms}. */
    NOT_ELIGIBLE_UNTIL_TIME("not_eligible_until_time"),
    /** {@code blocked_by_dependencies}: Waiting for the upstreams of its edge group. */
    BLOCKED_BY_DEPENDENCIES("blocked_by_dependencies"),
    /** {@code blocked_by_budget}: Admission was denied by a budget. */
    BLOCKED_BY_BUDGET("blocked_by_budget"),
    /** {@code blocked_by_quota}: Admission was denied by a quota policy. */
    BLOCKED_BY_QUOTA("blocked_by_quota"),
    /** {@code blocked_by_route}: Reserved: never written. */
    BLOCKED_BY_ROUTE("blocked_by_route"),
    /** {@code blocked_by_lane_state}: Reserved: never written. */
    BLOCKED_BY_LANE_STATE("blocked_by_lane_state"),
    /** {@code blocked_by_operator}: Written only together with {@link BlockingReason#PAUSED_BY_FLOW_CANCEL}. */
    BLOCKED_BY_OPERATOR("blocked_by_operator"),
    /** {@code not_applicable}: The execution is active, suspended or terminal. */
    NOT_APPLICABLE("not_applicable");

    private static final Map<String, EligibilityState> BY_LITERAL =
            Literals.index(values(), EligibilityState::literal);

    private final String literal;

    EligibilityState(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code eligible_now}
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
    public static EligibilityState fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "EligibilityState");
    }
}
