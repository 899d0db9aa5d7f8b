package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.publicState;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.CompletionPayload;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;

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

    private static double counter(SimpleMeterRegistry registry, String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0.0 : counter.count();
    }

    @Test
    @DisplayName("metrics: reconciler lag is the age of the oldest due row on the database clock; rows held by another transaction count as skipped_locked")
    void reconcilerLagAndSkippedLocked(TestDatabase db, TestClock clock) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PostgresEngine engine = EngineFixture.start(db, clock, b -> b.meterRegistry(registry))) {
            String lane = lane("lag");
            ExecutionId held = create(engine, lane);
            claim(engine, lane, Duration.ofSeconds(1));
            create(engine, lane);
            claim(engine, lane, Duration.ofSeconds(1));
            create(engine, lane);
            claim(engine, lane, Duration.ofSeconds(1));

            TickReport idle = tick(engine, "lease_expiry");
            assertThat(idle.lag()).as("nothing due yet").isEqualTo(Duration.ZERO);
            assertThat(gauge(registry, "flowfabric.reconciler.lag", "reconciler", "lease_expiry")).isZero();

            clock.advance(Duration.ofSeconds(5));
            try (Connection other = db.openConnection()) {
                other.setAutoCommit(false);
                try (PreparedStatement lock = other.prepareStatement("SELECT 1 FROM flowfabric.ff_exec_core"
                        + " WHERE partition_key = ? AND execution_id = ? FOR UPDATE")) {
                    lock.setShort(1, (short) held.partition());
                    lock.setObject(2, held.uuid());
                    try (ResultSet rs = lock.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                    }
                }
                TickReport locked = tick(engine, "lease_expiry");
                assertThat(locked.scanned()).isEqualTo(2);
                assertThat(locked.acted()).isEqualTo(2);
                assertThat(locked.skipped()).as("the row held by the other transaction").isEqualTo(1);
                assertThat(locked.lag()).isNotNull();
                // Leases ended 1 s after the claims; the database clock is now 5 s later, so the oldest is ~4 s late.
                assertThat(locked.lag()).isBetween(Duration.ofMillis(3_500), Duration.ofSeconds(30));
                assertThat(counter(registry, "flowfabric.reconciler.skipped_locked", "reconciler", "lease_expiry"))
                        .isEqualTo(1.0);
                assertThat(gauge(registry, "flowfabric.reconciler.lag", "reconciler", "lease_expiry"))
                        .isEqualTo((double) locked.lag().toMillis());
                other.rollback();
            }
            TickReport released = tick(engine, "lease_expiry");
            assertThat(released.acted()).isEqualTo(1);
            assertThat(released.skipped()).isZero();
            assertThat(released.lag()).isGreaterThanOrEqualTo(Duration.ofMillis(3_500));
            assertThat(publicState(db, held)).isEqualTo("waiting");
            assertThat(counter(registry, "flowfabric.reconciler.skipped_locked", "reconciler", "lease_expiry"))
                    .isEqualTo(1.0);
            assertThat(counter(registry, "flowfabric.reconciler.rows", "reconciler", "lease_expiry", "action",
                    "acted")).isEqualTo(3.0);

            TickReport drained = tick(engine, "lease_expiry");
            assertThat(drained.scanned()).isZero();
            assertThat(drained.lag()).isEqualTo(Duration.ZERO);
            assertThat(gauge(registry, "flowfabric.reconciler.lag", "reconciler", "lease_expiry")).isZero();

            // The delayed promoter measures from delay_until_ms: 1 s delay, clock moved 3 s on, so ~2 s late.
            ExecutionId delayed = create(engine, CreateExecution.builder(lane).delayFor(Duration.ofSeconds(1)).build());
            clock.advance(Duration.ofSeconds(3));
            TickReport promoted = tick(engine, "delayed_promoter");
            assertThat(promoted.acted()).isGreaterThanOrEqualTo(1);
            assertThat(promoted.lag()).isBetween(Duration.ofMillis(1_500), Duration.ofSeconds(30));
            assertThat(gauge(registry, "flowfabric.reconciler.lag", "reconciler", "delayed_promoter"))
                    .isGreaterThanOrEqualTo(1_500.0);
            assertThat(publicState(db, delayed)).isEqualTo("waiting");

            // Every job that measures lag reports it (0 or more) and has its gauge after a tick.
            for (String job : List.of("attempt_timeout", "execution_deadline", "stream_ttl", "flow_summary",
                    "retention")) {
                TickReport report = tick(engine, job);
                assertThat(report.lag()).as("lag of %s", job).isNotNull();
                assertThat(gauge(registry, "flowfabric.reconciler.lag", "reconciler", job))
                        .isEqualTo((double) report.lag().toMillis());
            }

            // A job that does not measure lag reports none and registers no gauge.
            assertThat(tick(engine, "audit_pruning").lag()).isNull();
            assertThat(registry.find("flowfabric.reconciler.lag").tag("reconciler", "audit_pruning").gauge())
                    .isNull();
        }
    }

    @Test
    @DisplayName("metrics: subscription lag is the age of the newest event read; buffered counts events read but not yet requested")
    void subscriptionLagAndBuffered(TestDatabase db, TestClock clock) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PostgresEngine engine = EngineFixture.start(db, clock, b -> b.meterRegistry(registry))) {
            String lane = lane("buffered");
            for (int i = 0; i < 3; i++) {
                create(engine, lane);
                ClaimedExecution claimed = claim(engine, lane, null);
                await(engine.workers().complete(claimed.fence(), null, null));
            }
            clock.advance(Duration.ofSeconds(10));
            assertThat(gauge(registry, "flowfabric.subscription.buffered", "family", "completion")).isZero();
            assertThat(gauge(registry, "flowfabric.subscription.lag", "family", "completion")).isZero();

            List<CompletionPayload> received = new CopyOnWriteArrayList<>();
            BaseSubscriber<CompletionPayload> slow = new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    request(1);
                }

                @Override
                protected void hookOnNext(CompletionPayload value) {
                    received.add(value);
                }
            };
            // From the start of the outbox: every event is at least 10 s old on the database clock.
            engine.subscriptions().completions(SubscribeRequest.builder().cursor(new EventCursor(0, 0))
                    .acceptGap(true).batchSize(100).build()).subscribe(slow);
            try {
                within(Duration.ofSeconds(10)).until(() -> received.size() == 1
                        && gauge(registry, "flowfabric.subscription.buffered", "family", "completion") >= 2.0);
                assertThat(gauge(registry, "flowfabric.subscription.lag", "family", "completion"))
                        .isGreaterThanOrEqualTo(10_000.0);
                double buffered = gauge(registry, "flowfabric.subscription.buffered", "family", "completion");

                slow.request(1);
                within(Duration.ofSeconds(10)).until(() -> received.size() == 2);
                assertThat(gauge(registry, "flowfabric.subscription.buffered", "family", "completion"))
                        .isEqualTo(buffered - 1);

                slow.requestUnbounded();
                // Everything read is emitted, and the next read finds nothing new: caught up.
                within(Duration.ofSeconds(10)).until(() ->
                        gauge(registry, "flowfabric.subscription.buffered", "family", "completion") == 0.0
                        && gauge(registry, "flowfabric.subscription.lag", "family", "completion") == 0.0);
                assertThat(received).hasSizeGreaterThanOrEqualTo(3);
            } finally {
                slow.dispose();
            }
            within(Duration.ofSeconds(5)).until(() ->
                    gauge(registry, "flowfabric.subscription.active", "family", "completion") == 0.0);
            assertThat(gauge(registry, "flowfabric.subscription.buffered", "family", "completion")).isZero();
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
