package io.flowfabric.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("canonical literals of spec 01 §5.1")
class LiteralsTest {

    @Test
    void lifecyclePhase() {
        check(LifecyclePhase.values(), LifecyclePhase::literal, LifecyclePhase::fromLiteral,
                "submitted", "runnable", "active", "suspended", "terminal");
    }

    @Test
    void ownershipState() {
        check(OwnershipState.values(), OwnershipState::literal, OwnershipState::fromLiteral,
                "unowned", "leased", "lease_expired_reclaimable", "lease_revoked");
    }

    @Test
    void eligibilityState() {
        check(EligibilityState.values(), EligibilityState::literal, EligibilityState::fromLiteral,
                "eligible_now", "not_eligible_until_time", "blocked_by_dependencies", "blocked_by_budget",
                "blocked_by_quota", "blocked_by_route", "blocked_by_lane_state", "blocked_by_operator",
                "not_applicable");
    }

    @Test
    void blockingReason() {
        check(BlockingReason.values(), BlockingReason::literal, BlockingReason::fromLiteral,
                "none", "waiting_for_worker", "waiting_for_retry_backoff", "waiting_for_resume_delay",
                "waiting_for_delay", "waiting_for_signal", "waiting_for_approval", "waiting_for_callback",
                "waiting_for_tool_result", "waiting_for_children", "waiting_for_budget", "waiting_for_quota",
                "waiting_for_capable_worker", "waiting_for_locality_match", "paused_by_operator", "paused_by_policy",
                "paused_by_flow_cancel");
    }

    @Test
    void terminalOutcome() {
        check(TerminalOutcome.values(), TerminalOutcome::literal, TerminalOutcome::fromLiteral,
                "none", "success", "failed", "cancelled", "expired", "skipped");
    }

    @Test
    void attemptState() {
        check(AttemptState.values(), AttemptState::literal, AttemptState::fromLiteral,
                "none", "pending_first_attempt", "running_attempt", "attempt_interrupted", "pending_retry_attempt",
                "pending_replay_attempt", "attempt_terminal");
    }

    @Test
    void publicState() {
        check(PublicState.values(), PublicState::literal, PublicState::fromLiteral,
                "waiting", "delayed", "rate_limited", "waiting_children", "active", "suspended", "resumable",
                "completed", "failed", "cancelled", "expired", "skipped");
    }

    @Test
    void attemptLifecycle() {
        check(AttemptLifecycle.values(), AttemptLifecycle::literal, AttemptLifecycle::fromLiteral,
                "started", "suspended", "ended_success", "ended_failure", "ended_cancelled", "interrupted_reclaimed",
                "created");
    }

    @Test
    void attemptType() {
        check(AttemptType.values(), AttemptType::literal, AttemptType::fromLiteral,
                "initial", "retry", "reclaim", "replay");
    }

    @Test
    void endReason() {
        check(EndReason.values(), EndReason::literal, EndReason::fromLiteral,
                "completed", "failed", "retry_scheduled", "cancelled", "attempt_timeout", "execution_deadline",
                "lease_expired", "lease_revoked", "suspension_timeout", "reclaim_cap_exceeded", "skipped", "resumed",
                "expired");
    }

    @Test
    void leaseEventType() {
        check(LeaseEventType.values(), LeaseEventType::literal, LeaseEventType::fromLiteral,
                "acquired", "renewed", "expired", "reclaimed", "revoked", "released");
    }

    @Test
    void unknownOrNonCanonicalLiteralsAreRejected() {
        for (String bad : List.of("RUNNABLE", "running", "pending", "", " runnable")) {
            assertThatThrownBy(() -> LifecyclePhase.fromLiteral(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> PublicState.fromLiteral("pending_claim"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaseEventType.fromLiteral("Released"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static <E extends Enum<E>> void check(E[] values, Function<E, String> literal,
            Function<String, E> fromLiteral, String... expected) {
        assertThat(Arrays.stream(values).map(literal)).containsExactly(expected);
        for (E value : values) {
            assertThat(fromLiteral.apply(literal.apply(value))).isSameAs(value);
        }
    }
}
