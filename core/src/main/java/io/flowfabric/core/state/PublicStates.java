package io.flowfabric.core.state;

import java.util.Objects;

/**
 * The one public-state function (spec 01 §5.3). The schema defines the same function in SQL for the generated
 * {@code public_state} column; a schema test compares the two for every written vector.
 *
 * <table>
 *   <caption>Derivation</caption>
 *   <tr><th>lifecycle</th><th>condition</th><th>public state</th></tr>
 *   <tr><td>terminal</td><td>outcome success / failed / cancelled / expired / skipped</td>
 *       <td>completed / failed / cancelled / expired / skipped</td></tr>
 *   <tr><td>suspended</td><td>—</td><td>suspended</td></tr>
 *   <tr><td>active</td><td>—</td><td>active</td></tr>
 *   <tr><td>runnable</td><td>eligible_now, attempt_interrupted, unowned</td><td>resumable</td></tr>
 *   <tr><td>runnable</td><td>eligible_now, any other case</td><td>waiting</td></tr>
 *   <tr><td>runnable</td><td>not_eligible_until_time</td><td>delayed</td></tr>
 *   <tr><td>runnable</td><td>blocked_by_dependencies</td><td>waiting_children</td></tr>
 *   <tr><td>runnable</td><td>blocked_by_budget, blocked_by_quota</td><td>rate_limited</td></tr>
 *   <tr><td>runnable</td><td>blocked_by_route, blocked_by_lane_state, blocked_by_operator, and the never-written
 *       not_applicable</td><td>waiting</td></tr>
 *   <tr><td>submitted</td><td>—</td><td>waiting</td></tr>
 * </table>
 *
 * @since 0.1
 */
public final class PublicStates {

    private PublicStates() {
    }

    /**
     * Derives the public state of a stored vector. The blocking reason does not take part.
     *
     * @param lifecycle    {@code lifecycle_phase}
     * @param ownership    {@code ownership_state}
     * @param eligibility  {@code eligibility_state}
     * @param attemptState {@code attempt_state}
     * @param outcome      {@code terminal_outcome}
     * @return the public state
     * @throws IllegalArgumentException for a terminal vector with outcome {@code none}, which the schema rejects
     */
    public static PublicState derive(LifecyclePhase lifecycle, OwnershipState ownership,
            EligibilityState eligibility, AttemptState attemptState, TerminalOutcome outcome) {
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(ownership, "ownership");
        Objects.requireNonNull(eligibility, "eligibility");
        Objects.requireNonNull(attemptState, "attemptState");
        Objects.requireNonNull(outcome, "outcome");
        switch (lifecycle) {
            case TERMINAL:
                return terminal(outcome);
            case SUSPENDED:
                return PublicState.SUSPENDED;
            case ACTIVE:
                return PublicState.ACTIVE;
            case SUBMITTED:
                return PublicState.WAITING;
            case RUNNABLE:
                return runnable(ownership, eligibility, attemptState);
            default:
                throw new IllegalStateException("unhandled lifecycle " + lifecycle);
        }
    }

    /**
     * Whether the current attempt is paused and ready to be continued by a worker (spec 01 §5.5): runnable,
     * {@code eligible_now}, attempt state {@code attempt_interrupted} and ownership {@code unowned} (no lease was
     * lost). Claiming such an execution continues the same attempt and yields a {@code RESUMED} handle.
     *
     * @param lifecycle    {@code lifecycle_phase}
     * @param ownership    {@code ownership_state}
     * @param eligibility  {@code eligibility_state}
     * @param attemptState {@code attempt_state}
     * @return true when the derived public state is {@code resumable}
     */
    public static boolean resumable(LifecyclePhase lifecycle, OwnershipState ownership,
            EligibilityState eligibility, AttemptState attemptState) {
        return lifecycle == LifecyclePhase.RUNNABLE
                && eligibility == EligibilityState.ELIGIBLE_NOW
                && attemptState == AttemptState.ATTEMPT_INTERRUPTED
                && ownership == OwnershipState.UNOWNED;
    }

    private static PublicState terminal(TerminalOutcome outcome) {
        switch (outcome) {
            case SUCCESS:
                return PublicState.COMPLETED;
            case FAILED:
                return PublicState.FAILED;
            case CANCELLED:
                return PublicState.CANCELLED;
            case EXPIRED:
                return PublicState.EXPIRED;
            case SKIPPED:
                return PublicState.SKIPPED;
            case NONE:
                throw new IllegalArgumentException("a terminal vector needs an outcome other than none");
            default:
                throw new IllegalStateException("unhandled outcome " + outcome);
        }
    }

    private static PublicState runnable(OwnershipState ownership, EligibilityState eligibility,
            AttemptState attemptState) {
        switch (eligibility) {
            case ELIGIBLE_NOW:
                return resumable(LifecyclePhase.RUNNABLE, ownership, eligibility, attemptState)
                        ? PublicState.RESUMABLE
                        : PublicState.WAITING;
            case NOT_ELIGIBLE_UNTIL_TIME:
                return PublicState.DELAYED;
            case BLOCKED_BY_DEPENDENCIES:
                return PublicState.WAITING_CHILDREN;
            case BLOCKED_BY_BUDGET:
            case BLOCKED_BY_QUOTA:
                return PublicState.RATE_LIMITED;
            case BLOCKED_BY_ROUTE:
            case BLOCKED_BY_LANE_STATE:
            case BLOCKED_BY_OPERATOR:
            case NOT_APPLICABLE:
                return PublicState.WAITING;
            default:
                throw new IllegalStateException("unhandled eligibility " + eligibility);
        }
    }
}
