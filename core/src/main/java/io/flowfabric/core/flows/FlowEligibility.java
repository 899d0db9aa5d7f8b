package io.flowfabric.core.flows;

/**
 * The answer of {@code evaluateFlowEligibility} (spec 03 §12): what an execution's own state and, for the downstream
 * of a sealed edge group, the group's decision say about whether dependencies let it run.
 *
 * @since 0.1
 */
public enum FlowEligibility {
    /** {@code not_found}: no such execution. */
    NOT_FOUND("not_found"),
    /** {@code terminal}: the execution has ended. */
    TERMINAL("terminal"),
    /** {@code owned}: the execution is active or suspended. */
    OWNED("owned"),
    /** {@code eligible}: no sealed group holds it back (no group, an unsealed one, or a satisfied one). */
    ELIGIBLE("eligible"),
    /** {@code blocked_by_dependencies}: its sealed group is pending. */
    BLOCKED_BY_DEPENDENCIES("blocked_by_dependencies"),
    /** {@code impossible}: its sealed group is impossible. */
    IMPOSSIBLE("impossible");

    private final String literal;

    FlowEligibility(String literal) {
        this.literal = literal;
    }

    /** @return the spec's literal */
    public String literal() {
        return literal;
    }
}
