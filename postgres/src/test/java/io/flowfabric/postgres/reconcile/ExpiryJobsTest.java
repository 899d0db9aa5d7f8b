package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.attemptRow;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.attempts;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.completionEvents;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.execRow;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.leaseEvents;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.publicState;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tryClaim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The time-driven execution jobs under manual ticks and the test clock: execution deadline (RT-07, RT-08), attempt
 * timeout (RT-05), lease expiry racing the attempt deadline (RC-03) and the reclaim cap (RC-02).
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExpiryJobsTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @BeforeEach
    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private static ExecutionPolicy timeoutPolicy(int maxRetries) {
        return ExecutionPolicy.builder().attemptTimeout(Duration.ofSeconds(1))
                .retry(RetryPolicy.builder().maxRetries(maxRetries).backoff(Backoff.fixed(Duration.ZERO)).build())
                .build();
    }

    @Test
    @DisplayName("RT-07/RT-08 a passed deadline expires a running, a waiting and a delayed execution, one completion event 'expired' each; the running one gets one 'revoked' lease event and its renew fails EXECUTION_NOT_ACTIVE")
    void executionDeadline() {
        String lane = lane("rt08");
        ExecutionId running = create(engine, CreateExecution.builder(lane).deadlineAfter(Duration.ofSeconds(1))
                .build());
        ClaimedExecution worker = claim(engine, lane, null);
        assertThat(worker.executionId()).isEqualTo(running);
        ExecutionId waiting = create(engine, CreateExecution.builder(lane).deadlineAfter(Duration.ofSeconds(1))
                .build());
        ExecutionId delayed = create(engine, CreateExecution.builder(lane).deadlineAfter(Duration.ofSeconds(1))
                .delayFor(Duration.ofMinutes(1)).build());
        assertThat(publicState(db, running)).isEqualTo("active");
        assertThat(publicState(db, waiting)).isEqualTo("waiting");
        assertThat(publicState(db, delayed)).isEqualTo("delayed");

        clock.advance(Duration.ofSeconds(2));
        TickReport report = tick(engine, "execution_deadline");

        assertThat(report.acted()).isGreaterThanOrEqualTo(3);
        assertThat(report.errors()).isZero();
        for (ExecutionId id : new ExecutionId[] {running, waiting, delayed}) {
            assertThat(execRow(db, id, "public_state, terminal_outcome, deadline_at_ms"))
                    .as("execution %s", id)
                    .containsEntry("public_state", "expired").containsEntry("terminal_outcome", "expired")
                    .containsEntry("deadline_at_ms", null);
            assertThat(completionEvents(db, id)).as("completion events of %s", id).isEqualTo(1);
            assertThat(completionEvents(db, id, "expired")).isEqualTo(1);
        }
        assertThat(leaseEvents(db, running, "revoked")).isEqualTo(1);
        assertThat(attemptRow(db, running, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "execution_deadline");
        assertThat(attempts(db, waiting)).as("RT-07 no attempt for the never-claimed one").isZero();
        assertThat(attempts(db, delayed)).isZero();

        assertThatThrownBy(() -> await(engine.workers().renew(worker.fence(), null)))
                .as("renew after the deadline expired the execution")
                .isInstanceOfSatisfying(StateException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StateException.Kind.EXECUTION_NOT_ACTIVE);
                    assertThat(e.details()).containsEntry("outcome", "expired");
                });

        // A second tick finds nothing left of these: terminal rows are not candidates.
        tick(engine, "execution_deadline");
        for (ExecutionId id : new ExecutionId[] {running, waiting, delayed}) {
            assertThat(completionEvents(db, id)).isEqualTo(1);
        }
        assertThat(leaseEvents(db, running, "revoked")).isEqualTo(1);
    }

    @Test
    @DisplayName("RT-05 attemptTimeout 1 s, max 1 retry: first timeout retries (attempt 0 ends attempt_timeout, 'revoked'), second is terminal 'expired' with one completion event")
    void attemptTimeout() {
        String lane = lane("rt05");
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(timeoutPolicy(1)).build());
        ClaimedExecution first = claim(engine, lane, null);
        assertThat(execRow(db, id, "attempt_deadline_at_ms").get("attempt_deadline_at_ms")).isNotNull();

        clock.advance(Duration.ofSeconds(2));
        TickReport report = tick(engine, "attempt_timeout");

        assertThat(report.acted()).isGreaterThanOrEqualTo(1);
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "attempt_timeout");
        assertThat(leaseEvents(db, id, "revoked")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "expired")).isZero();
        assertThat(execRow(db, id, "public_state, retry_count, current_lease_id"))
                .containsEntry("public_state", "waiting").containsEntry("retry_count", 1)
                .containsEntry("current_lease_id", null);
        assertThat(completionEvents(db, id)).isZero();
        assertThatThrownBy(() -> await(engine.workers().complete(first.fence(), null, null)))
                .as("the timed-out attempt's late complete")
                .isInstanceOfSatisfying(StateException.class,
                        e -> assertThat(e.kind()).isEqualTo(StateException.Kind.EXECUTION_NOT_ACTIVE));

        ClaimedExecution second = claim(engine, lane, null);
        assertThat(second.executionId()).isEqualTo(id);
        assertThat(second.attemptIndex()).isEqualTo(1);
        assertThat(second.attemptType()).isEqualTo(AttemptType.RETRY);
        clock.advance(Duration.ofSeconds(2));
        tick(engine, "attempt_timeout");

        assertThat(execRow(db, id, "public_state, terminal_outcome, attempt_count"))
                .containsEntry("public_state", "expired").containsEntry("terminal_outcome", "expired")
                .containsEntry("attempt_count", 2);
        assertThat(attemptRow(db, id, 1, "end_reason")).containsEntry("end_reason", "attempt_timeout");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "expired")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "revoked")).isEqualTo(2);
    }

    @Test
    @DisplayName("RC-03 lease expiry and attempt deadline both passed: the lease_expiry tick applies the attempt-timeout action (retry, end reason attempt_timeout), not a reclaim")
    void attemptTimeoutWinsOverLeaseExpiry() {
        String lane = lane("rc03");
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(timeoutPolicy(1)).build());
        claim(engine, lane, Duration.ofSeconds(1));

        clock.advance(Duration.ofSeconds(3));
        tick(engine, "lease_expiry");

        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "attempt_timeout");
        assertThat(leaseEvents(db, id, "expired")).as("no reclaim path").isZero();
        assertThat(leaseEvents(db, id, "revoked")).isEqualTo(1);
        assertThat(execRow(db, id, "public_state, ownership_state, retry_count, lease_reclaim_count"))
                .containsEntry("public_state", "waiting").containsEntry("ownership_state", "unowned")
                .containsEntry("retry_count", 1).containsEntry("lease_reclaim_count", 0);

        ClaimedExecution next = claim(engine, lane, null);
        assertThat(next.attemptType()).isEqualTo(AttemptType.RETRY);
        assertThat(next.kind()).isEqualTo(HandleKind.FRESH);
        await(engine.workers().complete(next.fence(), null, null));
    }

    @Test
    @DisplayName("RC-02 maxReclaimCount 2: the third lease expiry ends the execution failed with reclaim_cap_exceeded and one completion event")
    void reclaimCap() {
        String lane = lane("rc02");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(ExecutionPolicy.builder().maxReclaimCount(2).build()).build());

        for (int round = 0; round < 3; round++) {
            ClaimedExecution claimed = claim(engine, lane, Duration.ofSeconds(1));
            assertThat(claimed.executionId()).isEqualTo(id);
            assertThat(claimed.attemptIndex()).isEqualTo(round);
            assertThat(claimed.kind()).isEqualTo(round == 0 ? HandleKind.FRESH : HandleKind.RECLAIMED);
            clock.advance(Duration.ofSeconds(2));
            tick(engine, "lease_expiry");
            if (round < 2) {
                assertThat(execRow(db, id, "public_state, ownership_state, lease_reclaim_count"))
                        .as("after expiry %s", round + 1)
                        .containsEntry("public_state", "waiting")
                        .containsEntry("ownership_state", "lease_expired_reclaimable")
                        .containsEntry("lease_reclaim_count", round);
                assertThat(attemptRow(db, id, round, "attempt_lifecycle, end_reason"))
                        .containsEntry("attempt_lifecycle", "interrupted_reclaimed")
                        .containsEntry("end_reason", "lease_expired");
                assertThat(completionEvents(db, id)).isZero();
            }
        }

        assertThat(execRow(db, id, "public_state, terminal_outcome, lease_reclaim_count, attempt_count"))
                .containsEntry("public_state", "failed").containsEntry("terminal_outcome", "failed")
                .containsEntry("lease_reclaim_count", 2).containsEntry("attempt_count", 3);
        assertThat(attemptRow(db, id, 2, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure")
                .containsEntry("end_reason", "reclaim_cap_exceeded");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "expired")).isEqualTo(3);
        assertThat(tryClaim(engine, lane, null)).isNull();
    }

    @Test
    @DisplayName("an unknown job name is a ValidationException; every job of 08 §2 implemented so far is listed")
    void jobNames() {
        assertThat(engine.reconcilers().jobs()).contains("lease_expiry", "attempt_timeout", "execution_deadline",
                "delayed_promoter", "dependency", "sibling_cancel_dispatcher", "sibling_cancel_reconciler",
                "cancel_backlog", "retention", "flow_summary", "outbox_pruning", "dedup_pruning", "audit_pruning");
        assertThatThrownBy(() -> await(engine.reconcilers().tick("no_such_job")))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    @DisplayName("status() reports the last tick of each job that ticked")
    void statusReportsLastTick() {
        var report = await(engine.reconcilers().tick("delayed_promoter"));
        assertThat(engine.reconcilers().status()).containsEntry("delayed_promoter", report);
    }
}
