package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claimRequest;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.execRow;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.leaseEvents;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tryClaim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The reconcilers as the engine schedules them itself (spec 08 §1), in real time: no manual ticks, no clock moves.
 * The lease-expiry and promoter intervals are shortened so that each scenario finishes within a few seconds.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackgroundSchedulingTest {

    private static final Duration LEASE_EXPIRY_INTERVAL = Duration.ofMillis(200);

    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock, b -> b.backgroundReconcilers(true)
                .reconcilerInterval("lease_expiry", LEASE_EXPIRY_INTERVAL)
                .reconcilerInterval("delayed_promoter", Duration.ofMillis(100)));
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("RC-01 a worker that stops renewing loses its lease within TTL + one interval: waiting/reclaimable, reclaimed as attempt 1, the old worker's complete fails LEASE_EXPIRED")
    void scheduledLeaseExpiry() {
        String lane = lane("rc01-bg");
        ExecutionId id = create(engine, lane);
        long startedNanos = System.nanoTime();
        ClaimedExecution dead = claim(engine, lane, Duration.ofSeconds(1));

        within(Duration.ofSeconds(5))
                .until(() -> "waiting".equals(execRow(db, id, "public_state").get("public_state")));
        long tookMs = (System.nanoTime() - startedNanos) / 1_000_000;

        Map<String, Object> row = execRow(db, id, "lifecycle_phase, ownership_state, attempt_state, lease_epoch,"
                + " current_lease_id");
        assertThat(row).containsEntry("lifecycle_phase", "runnable")
                .containsEntry("ownership_state", "lease_expired_reclaimable")
                .containsEntry("attempt_state", "attempt_interrupted")
                .containsEntry("lease_epoch", dead.leaseEpoch() + 1)
                .containsEntry("current_lease_id", null);
        assertThat(leaseEvents(db, id, "expired")).isEqualTo(1);
        // The reconciler acted on the database clock: never before the lease's own expiry time.
        Map<String, Object> expired = db.queryRows("SELECT occurred_at_ms, lease_expires_at_ms FROM"
                + " flowfabric.ff_lease_event WHERE partition_key = ? AND execution_id = ? AND event_type = 'expired'",
                id.partition(), id.uuid()).get(0);
        assertThat((Long) expired.get("occurred_at_ms"))
                .isGreaterThanOrEqualTo((Long) expired.get("lease_expires_at_ms"));
        assertThat(tookMs).as("expired after the 1 s TTL, within TTL + interval + slack").isBetween(900L, 5_000L);

        ClaimedExecution again = claim(engine, lane, null);
        assertThat(again.executionId()).isEqualTo(id);
        assertThat(again.kind()).isEqualTo(HandleKind.RECLAIMED);
        assertThat(again.attemptIndex()).isEqualTo(1);
        assertThat(again.leaseEpoch()).isGreaterThan(dead.leaseEpoch() + 1);
        assertThat(execRow(db, id, "lease_reclaim_count").get("lease_reclaim_count")).isEqualTo(1);

        assertThatThrownBy(() -> await(engine.workers().complete(dead.fence(), null, null)))
                .as("the dead worker's late complete")
                .isInstanceOfSatisfying(StateException.class,
                        e -> assertThat(e.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED));
        assertThat(execRow(db, id, "public_state").get("public_state")).isEqualTo("active");
        await(engine.workers().complete(again.fence(), null, null));
        assertThat(execRow(db, id, "public_state").get("public_state")).isEqualTo("completed");
    }

    @Test
    @DisplayName("RT-02 a retry's 300 ms backoff elapses and the scheduled promoter makes it claimable: empty claim at once, claimable within seconds")
    void scheduledPromoter() {
        String lane = lane("rt02-bg");
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(2).backoff(Backoff.fixed(Duration.ofMillis(300))).build())
                .build()).build());
        ClaimedExecution first = claim(engine, lane, null);
        FailOutcome outcome = await(engine.workers().fail(first.fence(), FailureReason.of("blip"),
                FailureClass.TRANSIENT));
        assertThat(outcome).isInstanceOf(FailOutcome.RetryScheduled.class);
        Instant retryAt = ((FailOutcome.RetryScheduled) outcome).retryAt();

        ClaimedExecution early = tryClaim(engine, lane, null);
        Instant afterEarlyClaim = await(engine.admin().serverTime());
        if (afterEarlyClaim.isBefore(retryAt)) {
            // The claim ran entirely within the backoff (the usual case): nothing may be claimable yet.
            assertThat(early).as("claim during the backoff").isNull();
        }

        ClaimedExecution[] retried = {early};
        within(Duration.ofSeconds(5)).until(() -> retried[0] != null || (retried[0] = await(engine.workers()
                .claim(claimRequest(lane, "w2", null)))) != null);
        assertThat((Long) db.queryValue("SELECT started_at_ms FROM flowfabric.ff_attempt WHERE partition_key = ?"
                + " AND execution_id = ? AND attempt_index = 1", id.partition(), id.uuid()).orElseThrow())
                .as("attempt 1 started only once the backoff had elapsed")
                .isGreaterThanOrEqualTo(retryAt.toEpochMilli());
        assertThat(retried[0].executionId()).isEqualTo(id);
        assertThat(retried[0].attemptIndex()).isEqualTo(1);
        assertThat(retried[0].attemptType()).isEqualTo(AttemptType.RETRY);
        assertThat(execRow(db, id, "delay_until_ms").get("delay_until_ms")).isNull();
    }
}
