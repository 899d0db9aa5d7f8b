package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.await;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.create;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.publicState;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** The meters of docs/metrics.md, recorded into a Micrometer registry given to the builder, and none without one. */
@FlowFabricPostgres
class MetricsTest {

    @AfterEach
    void resetClock(TestClock clock) {
        clock.reset();
    }

    private static double gauge(SimpleMeterRegistry registry, String name, String... tags) {
        Gauge gauge = registry.find(name).tags(tags).gauge();
        assertThat(gauge).as("gauge %s %s", name, Arrays.toString(tags)).isNotNull();
        return gauge.value();
    }

    private static Timer operation(SimpleMeterRegistry registry, String unit) {
        Timer timer = registry.find("flowfabric.operation").tag("unit", unit).tag("outcome", "success").timer();
        assertThat(timer).as("flowfabric.operation unit=%s outcome=success", unit).isNotNull();
        return timer;
    }

    @Test
    @DisplayName("metrics: operation timers per unit, claim batch size, reconciler tick/rows, listener, pool and subscription gauges, with bounded tag values")
    void documentedMetersAreRecorded(TestDatabase db, TestClock clock) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PostgresEngine engine = EngineFixture.start(db, clock, b -> b.meterRegistry(registry))) {
            String lane = lane("metrics");
            ExecutionId done = create(engine, lane);
            ClaimedExecution claimed = claim(engine, lane, null);
            await(engine.workers().complete(claimed.fence(), null, null));
            ExecutionId lost = create(engine, lane);
            claim(engine, lane, Duration.ofSeconds(1));
            clock.advance(Duration.ofSeconds(2));
            TickReport report = tick(engine, "lease_expiry");
            assertThat(report.acted()).isEqualTo(1);
            assertThat(publicState(db, lost)).isEqualTo("waiting");

            assertThat(operation(registry, "create").count()).isEqualTo(2);
            assertThat(operation(registry, "claim").count()).isEqualTo(2);
            assertThat(operation(registry, "complete").count()).isEqualTo(1);
            assertThat(operation(registry, "lease_expiry").count())
                    .as("reconciler batches are units named after the job").isGreaterThanOrEqualTo(1);
            DistributionSummary batch = registry.find("flowfabric.claim.batch.size").summary();
            assertThat(batch).isNotNull();
            assertThat(batch.count()).isEqualTo(2);
            assertThat(batch.totalAmount()).isEqualTo(2.0);

            Timer ticks = registry.find("flowfabric.reconciler.tick").tag("reconciler", "lease_expiry")
                    .tag("outcome", "ok").timer();
            assertThat(ticks).isNotNull();
            assertThat(ticks.count()).isEqualTo(1);
            Counter acted = registry.find("flowfabric.reconciler.rows").tag("reconciler", "lease_expiry")
                    .tag("action", "acted").counter();
            assertThat(acted).isNotNull();
            assertThat(acted.count()).isEqualTo(1.0);

            assertThat(gauge(registry, "flowfabric.listener.connected")).isEqualTo(1.0);
            assertThat(gauge(registry, "flowfabric.pool.acquired")).isGreaterThanOrEqualTo(0.0);
            assertThat(gauge(registry, "flowfabric.pool.idle")).isGreaterThanOrEqualTo(0.0);
            assertThat(gauge(registry, "flowfabric.pool.pending")).isGreaterThanOrEqualTo(0.0);
            assertThat(gauge(registry, "flowfabric.operations.inflight")).isGreaterThanOrEqualTo(0.0);
            assertThat(gauge(registry, "flowfabric.subscription.active", "family", "completion")).isZero();

            Disposable subscription = engine.subscriptions().completions(SubscribeRequest.fromNow()).subscribe();
            try {
                within(Duration.ofSeconds(5)).until(() ->
                        gauge(registry, "flowfabric.subscription.active", "family", "completion") == 1.0);
                assertThat(gauge(registry, "flowfabric.subscription.active", "family", "lease")).isZero();
            } finally {
                subscription.dispose();
            }
            within(Duration.ofSeconds(5)).until(() ->
                    gauge(registry, "flowfabric.subscription.active", "family", "completion") == 0.0);

            // Tag values are bounded: never ids or lanes.
            for (Meter meter : registry.getMeters()) {
                assertThat(meter.getId().getName()).startsWith("flowfabric.");
                for (Tag tag : meter.getId().getTags()) {
                    assertThat(tag.getValue()).as("tag %s of %s", tag.getKey(), meter.getId().getName())
                            .doesNotContain(done.uuid().toString()).doesNotContain(lost.uuid().toString())
                            .doesNotContain(lane);
                }
            }
        }
    }

    @Test
    @DisplayName("metrics: an engine without a registry works and records nothing anywhere")
    void engineWithoutRegistryWorks(TestDatabase db, TestClock clock) {
        try (PostgresEngine engine = EngineFixture.start(db, clock)) {
            String lane = lane("nometrics");
            ExecutionId id = create(engine, lane);
            ClaimedExecution claimed = claim(engine, lane, null);
            await(engine.workers().complete(claimed.fence(), null, null));
            assertThat(publicState(db, id)).isEqualTo("completed");
            assertThat(tick(engine, "lease_expiry").errors()).isZero();
            Disposable subscription = engine.subscriptions().completions(SubscribeRequest.fromNow()).subscribe();
            subscription.dispose();
            assertThat(engine.listenerConnected()).isTrue();
            assertThat(Metrics.globalRegistry.getMeters())
                    .noneMatch(m -> m.getId().getName().startsWith("flowfabric."));
        }
    }
}
