package io.flowfabric.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The derivation of spec 01 §5.3 for every vector of §5.2, with the expected public state typed from the spec's
 * tables (not computed).
 */
class PublicStatesTest {

    /** lifecycle, ownership, eligibility, blocking reason, attempt state, outcome → public state. */
    private static final Map<StateVector, PublicState> EXPECTED = new LinkedHashMap<>();

    private static void row(String lifecycle, String ownership, String eligibility, String reason, String attempt,
            String outcome, String publicState) {
        StateVector vector = new StateVector(LifecyclePhase.fromLiteral(lifecycle),
                OwnershipState.fromLiteral(ownership), EligibilityState.fromLiteral(eligibility),
                BlockingReason.fromLiteral(reason), AttemptState.fromLiteral(attempt),
                TerminalOutcome.fromLiteral(outcome));
        assertThat(EXPECTED.put(vector, PublicState.fromLiteral(publicState))).as("duplicate row").isNull();
    }

    static {
        // Ready, never run
        row("runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_first_attempt", "none", "waiting");
        // Created with a delay
        row("runnable", "unowned", "not_eligible_until_time", "waiting_for_delay", "pending_first_attempt", "none",
                "delayed");
        // Waiting for dependencies, not started (first or replay)
        row("runnable", "unowned", "blocked_by_dependencies", "waiting_for_children", "pending_first_attempt", "none",
                "waiting_children");
        row("runnable", "unowned", "blocked_by_dependencies", "waiting_for_children", "pending_replay_attempt",
                "none", "waiting_children");
        // Running
        row("active", "leased", "not_applicable", "none", "running_attempt", "none", "active");
        // Retry backoff / retry ready / replay ready
        row("runnable", "unowned", "not_eligible_until_time", "waiting_for_retry_backoff", "pending_retry_attempt",
                "none", "delayed");
        row("runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_retry_attempt", "none", "waiting");
        row("runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_replay_attempt", "none", "waiting");
        // Worker delayed itself / waits for children
        row("runnable", "unowned", "not_eligible_until_time", "waiting_for_delay", "attempt_interrupted", "none",
                "delayed");
        row("runnable", "unowned", "blocked_by_dependencies", "waiting_for_children", "attempt_interrupted", "none",
                "waiting_children");
        // Suspended
        row("suspended", "unowned", "not_applicable", "waiting_for_signal", "attempt_interrupted", "none",
                "suspended");
        row("suspended", "unowned", "not_applicable", "waiting_for_approval", "attempt_interrupted", "none",
                "suspended");
        row("suspended", "unowned", "not_applicable", "waiting_for_callback", "attempt_interrupted", "none",
                "suspended");
        row("suspended", "unowned", "not_applicable", "waiting_for_tool_result", "attempt_interrupted", "none",
                "suspended");
        // Resumed with a delay
        row("runnable", "unowned", "not_eligible_until_time", "waiting_for_resume_delay", "attempt_interrupted",
                "none", "delayed");
        // Paused attempt ready to continue
        row("runnable", "unowned", "eligible_now", "waiting_for_worker", "attempt_interrupted", "none", "resumable");
        // Lease expired / revoked, awaiting reclaim
        row("runnable", "lease_expired_reclaimable", "eligible_now", "waiting_for_worker", "attempt_interrupted",
                "none", "waiting");
        row("runnable", "lease_revoked", "eligible_now", "waiting_for_worker", "attempt_interrupted", "none",
                "waiting");
        // Admission denied by a budget / quota: ownership and attempt state unchanged from an eligible vector
        for (String[] kept : new String[][] {
            {"unowned", "pending_first_attempt"}, {"unowned", "pending_retry_attempt"},
            {"unowned", "pending_replay_attempt"}, {"unowned", "attempt_interrupted"},
            {"lease_expired_reclaimable", "attempt_interrupted"}, {"lease_revoked", "attempt_interrupted"}}) {
            row("runnable", kept[0], "blocked_by_budget", "waiting_for_budget", kept[1], "none", "rate_limited");
            row("runnable", kept[0], "blocked_by_quota", "waiting_for_quota", kept[1], "none", "rate_limited");
            // Member of a flow being cancelled
            row("runnable", kept[0], "blocked_by_operator", "paused_by_flow_cancel", kept[1], "none", "waiting");
        }
        // Terminal
        String[][] terminal = {{"success", "completed"}, {"failed", "failed"}, {"cancelled", "cancelled"},
            {"expired", "expired"}, {"skipped", "skipped"}};
        for (String[] t : terminal) {
            row("terminal", "unowned", "not_applicable", "none", "attempt_terminal", t[0], t[1]);
            row("terminal", "unowned", "not_applicable", "none", "none", t[0], t[1]);
        }
    }

    @Test
    @DisplayName("SC-05 (pure half): every written vector derives the public state of the spec's table")
    void everyWrittenVectorDerivesTheExpectedPublicState() {
        assertThat(StateVectors.allWritten()).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
        for (StateVector vector : StateVectors.allWritten()) {
            assertThat(vector.publicState()).as(vector.toString()).isEqualTo(EXPECTED.get(vector));
            assertThat(PublicStates.derive(vector.lifecycle(), vector.ownership(), vector.eligibility(),
                    vector.attemptState(), vector.outcome())).isEqualTo(EXPECTED.get(vector));
        }
    }

    @Test
    void namedConstantsMatchTheSituationsOfTheSpec() {
        assertThat(StateVectors.READY.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(StateVectors.CREATED_DELAYED.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(StateVectors.WAITING_DEPENDENCIES_FIRST.publicState()).isEqualTo(PublicState.WAITING_CHILDREN);
        assertThat(StateVectors.RUNNING.publicState()).isEqualTo(PublicState.ACTIVE);
        assertThat(StateVectors.RETRY_BACKOFF.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(StateVectors.RETRY_READY.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(StateVectors.REPLAY_READY.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(StateVectors.WORKER_DELAYED.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(StateVectors.WORKER_WAITS_CHILDREN.publicState()).isEqualTo(PublicState.WAITING_CHILDREN);
        assertThat(StateVectors.SUSPENDED_SIGNAL.publicState()).isEqualTo(PublicState.SUSPENDED);
        assertThat(StateVectors.RESUMED_DELAYED.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(StateVectors.PAUSED_READY.publicState()).isEqualTo(PublicState.RESUMABLE);
        assertThat(StateVectors.LEASE_EXPIRED_AWAITING_RECLAIM.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(StateVectors.LEASE_REVOKED_AWAITING_RECLAIM.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(StateVectors.terminal(TerminalOutcome.SUCCESS, true).publicState())
                .isEqualTo(PublicState.COMPLETED);
        assertThat(StateVectors.terminal(TerminalOutcome.CANCELLED, false).attemptState())
                .isEqualTo(AttemptState.NONE);
        assertThat(StateVectors.blockedByBudget(StateVectors.READY).ownership()).isEqualTo(OwnershipState.UNOWNED);
        assertThat(StateVectors.blockedByQuota(StateVectors.LEASE_REVOKED_AWAITING_RECLAIM).ownership())
                .isEqualTo(OwnershipState.LEASE_REVOKED);
        assertThat(StateVectors.suspended(BlockingReason.WAITING_FOR_CALLBACK))
                .isSameAs(StateVectors.SUSPENDED_CALLBACK);
    }

    @Test
    @DisplayName("resumable only for a runnable, eligible, interrupted, unowned vector (01 §5.5)")
    void resumableOnlyWhenNoLeaseWasLost() {
        for (StateVector vector : StateVectors.allWritten()) {
            assertThat(vector.resumable()).as(vector.toString())
                    .isEqualTo(vector.equals(StateVectors.PAUSED_READY));
            assertThat(vector.resumable()).isEqualTo(vector.publicState() == PublicState.RESUMABLE);
        }
    }

    @Test
    void unwrittenCombinationsFollowTheTable() {
        assertThat(PublicStates.derive(LifecyclePhase.SUBMITTED, OwnershipState.UNOWNED,
                EligibilityState.NOT_APPLICABLE, AttemptState.NONE, TerminalOutcome.NONE))
                .isEqualTo(PublicState.WAITING);
        // An active execution reads active even while an expired lease is not yet swept.
        assertThat(PublicStates.derive(LifecyclePhase.ACTIVE, OwnershipState.LEASE_EXPIRED_RECLAIMABLE,
                EligibilityState.NOT_APPLICABLE, AttemptState.RUNNING_ATTEMPT, TerminalOutcome.NONE))
                .isEqualTo(PublicState.ACTIVE);
        assertThat(PublicStates.derive(LifecyclePhase.RUNNABLE, OwnershipState.UNOWNED,
                EligibilityState.BLOCKED_BY_ROUTE, AttemptState.PENDING_FIRST_ATTEMPT, TerminalOutcome.NONE))
                .isEqualTo(PublicState.WAITING);
        assertThat(PublicStates.derive(LifecyclePhase.RUNNABLE, OwnershipState.UNOWNED,
                EligibilityState.BLOCKED_BY_LANE_STATE, AttemptState.ATTEMPT_INTERRUPTED, TerminalOutcome.NONE))
                .isEqualTo(PublicState.WAITING);
    }

    @Test
    @DisplayName("a terminal vector with outcome none has no public state (the schema's CHECK rejects it)")
    void terminalWithoutOutcomeIsRejected() {
        StateVector bad = new StateVector(LifecyclePhase.TERMINAL, OwnershipState.UNOWNED,
                EligibilityState.NOT_APPLICABLE, BlockingReason.NONE, AttemptState.ATTEMPT_TERMINAL,
                TerminalOutcome.NONE);
        assertThatThrownBy(bad::publicState).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateVectors.terminal(TerminalOutcome.NONE, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void factoriesRejectWhatTheSpecNeverWrites() {
        assertThatThrownBy(() -> StateVectors.suspended(BlockingReason.WAITING_FOR_WORKER))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateVectors.blockedByBudget(StateVectors.RUNNING))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateVectors.pausedByFlowCancel(StateVectors.terminal(TerminalOutcome.FAILED, true)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writtenVectorsUseNoReservedLiteral() {
        for (StateVector vector : StateVectors.allWritten()) {
            assertThat(vector.lifecycle()).isNotEqualTo(LifecyclePhase.SUBMITTED);
            assertThat(vector.eligibility()).isNotIn(EligibilityState.BLOCKED_BY_ROUTE,
                    EligibilityState.BLOCKED_BY_LANE_STATE);
            assertThat(vector.blockingReason()).isNotIn(BlockingReason.WAITING_FOR_CAPABLE_WORKER,
                    BlockingReason.WAITING_FOR_LOCALITY_MATCH, BlockingReason.PAUSED_BY_OPERATOR,
                    BlockingReason.PAUSED_BY_POLICY);
            assertThat(vector.eligibility() == EligibilityState.BLOCKED_BY_OPERATOR)
                    .isEqualTo(vector.blockingReason() == BlockingReason.PAUSED_BY_FLOW_CANCEL);
            // 01 §5.4: active ⇔ leased ⇔ running_attempt; terminal ⇔ outcome ≠ none
            assertThat(vector.lifecycle() == LifecyclePhase.ACTIVE)
                    .isEqualTo(vector.ownership() == OwnershipState.LEASED)
                    .isEqualTo(vector.attemptState() == AttemptState.RUNNING_ATTEMPT);
            assertThat(vector.lifecycle() == LifecyclePhase.TERMINAL)
                    .isEqualTo(vector.outcome() != TerminalOutcome.NONE);
        }
    }
}
