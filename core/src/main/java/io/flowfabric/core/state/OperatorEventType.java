package io.flowfabric.core.state;

import java.util.Map;

/**
 * The type of an operator event (spec 04 §1): operator actions and policy enforcement.
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; the column has a CHECK constraint listing exactly
 * these values.
 *
 * @since 0.1
 */
public enum OperatorEventType {
    /** {@code priority_changed}: an execution's priority was changed. */
    PRIORITY_CHANGED("priority_changed"),
    /** {@code replayed}: a terminal execution was replayed. */
    REPLAYED("replayed"),
    /** {@code execution_cancelled}: an operator cancelled an execution. */
    EXECUTION_CANCELLED("execution_cancelled"),
    /** {@code lease_revoked}: an operator revoked a lease. */
    LEASE_REVOKED("lease_revoked"),
    /** {@code execution_resumed}: an operator resumed a suspended execution. */
    EXECUTION_RESUMED("execution_resumed"),
    /** {@code suspension_escalated}: a suspension's timeout escalated. */
    SUSPENSION_ESCALATED("suspension_escalated"),
    /** {@code flow_cancel_requested}: a flow's cancellation was requested. */
    FLOW_CANCEL_REQUESTED("flow_cancel_requested"),
    /** {@code budget_soft_breach}: a budget passed its soft limit. */
    BUDGET_SOFT_BREACH("budget_soft_breach"),
    /** {@code budget_hard_breach}: a budget passed its hard limit. */
    BUDGET_HARD_BREACH("budget_hard_breach"),
    /** {@code budget_enforced}: a budget's hard limit was enforced. */
    BUDGET_ENFORCED("budget_enforced"),
    /** {@code budget_reset}: a budget was reset. */
    BUDGET_RESET("budget_reset"),
    /** {@code worker_marked_dead}: a worker instance was marked dead. */
    WORKER_MARKED_DEAD("worker_marked_dead"),
    /** {@code signing_key_seeded}: the first signing key was created. */
    SIGNING_KEY_SEEDED("signing_key_seeded"),
    /** {@code signing_key_rotated}: the signing key was rotated. */
    SIGNING_KEY_ROTATED("signing_key_rotated");

    private static final Map<String, OperatorEventType> BY_LITERAL =
            Literals.index(values(), OperatorEventType::literal);

    private final String literal;

    OperatorEventType(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code replayed}
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
    public static OperatorEventType fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "OperatorEventType");
    }
}
