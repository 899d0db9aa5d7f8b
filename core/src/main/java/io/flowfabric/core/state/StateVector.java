package io.flowfabric.core.state;

import java.util.Objects;

/**
 * The six stored state fields of an execution, written together by every transition (spec 01 §5.2).
 *
 * <p>The record accepts any combination so that tests can describe rows the database must reject; the engine writes
 * only the vectors of {@link StateVectors}.
 *
 * @param lifecycle      {@code lifecycle_phase}
 * @param ownership      {@code ownership_state}
 * @param eligibility    {@code eligibility_state}
 * @param blockingReason {@code blocking_reason}
 * @param attemptState   {@code attempt_state}
 * @param outcome        {@code terminal_outcome}
 * @since 0.1
 */
public record StateVector(
        LifecyclePhase lifecycle,
        OwnershipState ownership,
        EligibilityState eligibility,
        BlockingReason blockingReason,
        AttemptState attemptState,
        TerminalOutcome outcome) {

    /**
     * Creates the vector.
     *
     * @param lifecycle      {@code lifecycle_phase}
     * @param ownership      {@code ownership_state}
     * @param eligibility    {@code eligibility_state}
     * @param blockingReason {@code blocking_reason}
     * @param attemptState   {@code attempt_state}
     * @param outcome        {@code terminal_outcome}
     */
    public StateVector {
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(ownership, "ownership");
        Objects.requireNonNull(eligibility, "eligibility");
        Objects.requireNonNull(blockingReason, "blockingReason");
        Objects.requireNonNull(attemptState, "attemptState");
        Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * The public state of this vector, by {@link PublicStates#derive}.
     *
     * @return the derived public state
     * @throws IllegalArgumentException for a terminal vector with outcome {@code none}
     */
    public PublicState publicState() {
        return PublicStates.derive(lifecycle, ownership, eligibility, attemptState, outcome);
    }

    /**
     * Whether this vector derives {@code resumable}, by {@link PublicStates#resumable}.
     *
     * @return true when the current attempt is paused and ready to be continued
     */
    public boolean resumable() {
        return PublicStates.resumable(lifecycle, ownership, eligibility, attemptState);
    }
}
