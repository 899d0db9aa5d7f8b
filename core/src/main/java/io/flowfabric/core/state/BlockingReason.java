package io.flowfabric.core.state;

import java.util.Map;

/**
 * Why an execution is not running (column {@code blocking_reason}, spec 01 §5.1). Reasons without a writer in the
 * state-vector table are reserved and never written.
 *
 * <p>Only the canonical {@linkplain #literal() literals} are stored; each column has a CHECK constraint listing
 * exactly these values.
 *
 * @since 0.1
 */
public enum BlockingReason {
    /** {@code none}: Not blocked: running or terminal. */
    NONE("none"),
    /** {@code waiting_for_worker}: Eligible; waiting for a worker to claim it. */
    WAITING_FOR_WORKER("waiting_for_worker"),
    /** {@code waiting_for_retry_backoff}: Waiting for the retry backoff to elapse. */
    WAITING_FOR_RETRY_BACKOFF("waiting_for_retry_backoff"),
    /** {@code waiting_for_resume_delay}: Resumed with a delay that has not elapsed. */
    WAITING_FOR_RESUME_DELAY("waiting_for_resume_delay"),
    /** {@code waiting_for_delay}: Created with a delay, or the worker delayed itself. */
    WAITING_FOR_DELAY("waiting_for_delay"),
    /** {@code waiting_for_signal}: Suspended until a signal arrives. */
    WAITING_FOR_SIGNAL("waiting_for_signal"),
    /** {@code waiting_for_approval}: Suspended until an approval arrives. */
    WAITING_FOR_APPROVAL("waiting_for_approval"),
    /** {@code waiting_for_callback}: Suspended until a callback arrives. */
    WAITING_FOR_CALLBACK("waiting_for_callback"),
    /** {@code waiting_for_tool_result}: Suspended until a tool result arrives. */
    WAITING_FOR_TOOL_RESULT("waiting_for_tool_result"),
    /** {@code waiting_for_children}: Waiting for the upstreams of its edge group. */
    WAITING_FOR_CHILDREN("waiting_for_children"),
    /** {@code waiting_for_budget}: Admission denied by a budget. */
    WAITING_FOR_BUDGET("waiting_for_budget"),
    /** {@code waiting_for_quota}: Admission denied by a quota policy. */
    WAITING_FOR_QUOTA("waiting_for_quota"),
    /** {@code waiting_for_capable_worker}: Reserved: never written. */
    WAITING_FOR_CAPABLE_WORKER("waiting_for_capable_worker"),
    /** {@code waiting_for_locality_match}: Reserved: never written. */
    WAITING_FOR_LOCALITY_MATCH("waiting_for_locality_match"),
    /** {@code paused_by_operator}: Reserved: never written. */
    PAUSED_BY_OPERATOR("paused_by_operator"),
    /** {@code paused_by_policy}: Reserved: never written. */
    PAUSED_BY_POLICY("paused_by_policy"),
    /** {@code paused_by_flow_cancel}: The execution's flow is being cancelled. */
    PAUSED_BY_FLOW_CANCEL("paused_by_flow_cancel");

    private static final Map<String, BlockingReason> BY_LITERAL = Literals.index(values(), BlockingReason::literal);

    private final String literal;

    BlockingReason(String literal) {
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
    public static BlockingReason fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "BlockingReason");
    }
}
