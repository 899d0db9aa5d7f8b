package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.TIMEOUT;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claimRequest;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.execRow;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.leaseEvents;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * RC-05: one row whose action fails must not block the others in its batch, nor stop the job. The poison is an
 * active execution whose stored policy was corrupted behind the engine's back, so that reading it fails in the
 * lease-expiry action.
 */
@FlowFabricPostgres
class PoisonRowTest {

    private static final String POISON_POLICY = "{\"retry\":{\"maxRetries\":\"x\"}}";

    private static void poison(TestDatabase db, ExecutionId id) {
        assertThat(db.execute("UPDATE flowfabric.ff_exec_core SET policy = ?::jsonb"
                + " WHERE partition_key = ? AND execution_id = ?", POISON_POLICY, id.partition(), id.uuid()))
                .isEqualTo(1);
    }

    private static boolean reclaimable(TestDatabase db, ExecutionId id) {
        return "lease_expired_reclaimable".equals(execRow(db, id, "ownership_state").get("ownership_state"));
    }

    @Test
    @DisplayName("RC-05 a batch of 100 due rows with one poison row: the batch fails, the per-row retry processes the other 99 (acted 99, errors 1); the next tick retries the poison row; scheduled ticks keep running and sweep later expiries")
    void poisonRowDoesNotBlockOthersNorStopTheJob(TestDatabase db, TestClock clock) {
        assertThatThrownBy(() -> ExecutionPolicy.fromJson(POISON_POLICY)).isInstanceOf(ValidationException.class);
        String lane = lane("rc05");
        try (PostgresEngine manual = EngineFixture.start(db, clock)) {
            assertThat(Flux.range(0, 100).flatMap(i -> manual.executions()
                    .createExecution(CreateExecution.builder(lane).build()), 8).count().block(TIMEOUT)).isEqualTo(100);
            List<ClaimedExecution> claimed = manual.workers()
                    .claimBatch(claimRequest(lane, "w", Duration.ofSeconds(1)), 100).collectList().block(TIMEOUT);
            assertThat(claimed).hasSize(100);
            ExecutionId bad = claimed.get(37).executionId();
            String goodPolicy = (String) db.queryValue("SELECT policy::text FROM flowfabric.ff_exec_core"
                    + " WHERE partition_key = ? AND execution_id = ?", bad.partition(), bad.uuid()).orElseThrow();
            poison(db, bad);

            clock.advance(Duration.ofSeconds(2));
            TickReport first = tick(manual, "lease_expiry");

            assertThat(first.scanned()).isEqualTo(100);
            assertThat(first.acted()).isEqualTo(99);
            assertThat(first.errors()).isEqualTo(1);
            assertThat(first.skipped()).isZero();
            for (ClaimedExecution c : claimed) {
                ExecutionId id = c.executionId();
                if (id.equals(bad)) {
                    assertThat(execRow(db, id, "public_state").get("public_state")).isEqualTo("active");
                    assertThat(leaseEvents(db, id, "expired")).isZero();
                } else {
                    assertThat(reclaimable(db, id)).as("%s reclaimable", id).isTrue();
                    assertThat(leaseEvents(db, id, "expired")).isEqualTo(1);
                }
            }

            TickReport second = tick(manual, "lease_expiry");
            assertThat(second.scanned()).as("the next tick retries the failing row").isEqualTo(1);
            assertThat(second.acted()).isZero();
            assertThat(second.errors()).isEqualTo(1);

            // Scheduled ticks: the poison row fails in every tick, and the job keeps running regardless.
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (PostgresEngine scheduled = EngineFixture.start(db, clock, b -> b.backgroundReconcilers(true)
                    .reconcilerInterval("lease_expiry", Duration.ofMillis(100)).meterRegistry(registry))) {
                within(Duration.ofSeconds(10)).until(() -> errorTicks(registry) >= 2);

                String later = lane("rc05-later");
                ExecutionId fresh = create(scheduled, later);
                claim(scheduled, later, Duration.ofSeconds(1));
                within(Duration.ofSeconds(10)).until(() -> reclaimable(db, fresh));
                assertThat(leaseEvents(db, fresh, "expired")).isEqualTo(1);

                Counter errors = registry.find("flowfabric.reconciler.errors").tag("reconciler", "lease_expiry")
                        .counter();
                assertThat(errors).isNotNull();
                assertThat(errors.count()).isGreaterThanOrEqualTo(2);
                assertThat(execRow(db, bad, "public_state").get("public_state")).isEqualTo("active");

                // Once the row is repaired, a later scheduled tick handles it like any other.
                assertThat(db.execute("UPDATE flowfabric.ff_exec_core SET policy = ?::jsonb"
                        + " WHERE partition_key = ? AND execution_id = ?", goodPolicy, bad.partition(), bad.uuid()))
                        .isEqualTo(1);
                within(Duration.ofSeconds(10)).until(() -> reclaimable(db, bad));
                assertThat(leaseEvents(db, bad, "expired")).isEqualTo(1);
            }
        }
    }

    private static long errorTicks(SimpleMeterRegistry registry) {
        Timer timer = registry.find("flowfabric.reconciler.tick").tag("reconciler", "lease_expiry")
                .tag("outcome", "error").timer();
        return timer == null ? 0 : timer.count();
    }
}
