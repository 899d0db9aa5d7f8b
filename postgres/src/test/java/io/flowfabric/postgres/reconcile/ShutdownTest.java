package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claimRequest;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.publicState;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/** RC-11: closing an engine stops every job, listener and waiter promptly; a second engine then works alone. */
@FlowFabricPostgres
class ShutdownTest {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownTest.class);

    /** Every job of spec 08 §2 the engine runs today. */
    private static final List<String> JOBS = List.of("lease_expiry", "attempt_timeout", "execution_deadline",
            "delayed_promoter", "dependency", "sibling_cancel_dispatcher", "sibling_cancel_reconciler",
            "cancel_backlog", "retention", "flow_summary", "outbox_pruning", "dedup_pruning", "audit_pruning");

    private static long ticks(SimpleMeterRegistry registry) {
        return registry.find("flowfabric.reconciler.tick").timers().stream().mapToLong(Timer::count).sum();
    }

    private static long connections(TestDatabase db, String applicationPrefix) {
        return db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name LIKE ?", applicationPrefix + "%");
    }

    private final String firstLane = lane("rc11");
    private final AtomicBoolean subscriptionEnded = new AtomicBoolean();
    private final AtomicBoolean claimEnded = new AtomicBoolean();
    private Disposable subscription;
    private Disposable waitingClaim;

    /** Gives every job work, opens a subscription and a waiting claim, lets the jobs tick, then times close(). */
    private long runJobsThenClose(TestDatabase db, PostgresEngine first, SimpleMeterRegistry firstRegistry) {
        assertThat(first.reconcilers().jobs()).containsAll(JOBS);
        // Work for the jobs: expiring leases, a flow whose summary is dirty, a completion to dispatch.
        for (int i = 0; i < 5; i++) {
            create(first, firstLane);
            claim(first, firstLane, Duration.ofSeconds(1));
        }
        FlowId flow = await(first.flows().createFlow(CreateFlow.of("default", "rc11"))).flowId();
        ExecutionId member = create(first, CreateExecution.builder(firstLane + "-flow").flowId(flow).build());
        ClaimedExecution memberLease = claim(first, firstLane + "-flow", null);
        await(first.workers().complete(memberLease.fence(), null, null));
        subscription = first.subscriptions().completions(SubscribeRequest.fromNow())
                .doFinally(s -> subscriptionEnded.set(true))
                .subscribe(e -> { }, e -> { });
        waitingClaim = first.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane("rc11-empty"))
                        .maxWait(Duration.ofSeconds(30)).build())
                .doFinally(s -> claimEnded.set(true))
                .subscribe(c -> { }, e -> { });
        within(Duration.ofSeconds(10)).until(() -> ticks(firstRegistry) >= 2L * JOBS.size());
        assertThat(publicState(db, member)).isEqualTo("completed");

        long started = System.nanoTime();
        first.close();
        return (System.nanoTime() - started) / 1_000_000;
    }

    @Test
    @DisplayName("RC-11 close() while every job runs on a short interval, a subscription and a waiting claim are open returns promptly; the engine leaves no connection behind and a second engine on the database works normally")
    void closeStopsEverythingAndASecondEngineWorks(TestDatabase db, TestClock clock) {
        SimpleMeterRegistry firstRegistry = new SimpleMeterRegistry();
        PostgresEngine first = EngineFixture.start(db, clock, b -> {
            b.backgroundReconcilers(true).applicationName("rc11-first").meterRegistry(firstRegistry);
            JOBS.forEach(job -> b.reconcilerInterval(job, Duration.ofMillis(50)));
        });
        long closeMs;
        try {
            closeMs = runJobsThenClose(db, first, firstRegistry);
        } finally {
            first.close();
        }
        LOG.info("RC-11: close() took {} ms", closeMs);

        assertThat(closeMs).as("close() duration in ms (spec: everything stops within 2 s)").isLessThan(5_000L);
        within(Duration.ofSeconds(5)).until(() -> connections(db, "rc11-first") == 0);
        within(Duration.ofSeconds(5)).until(() -> subscriptionEnded.get() && claimEnded.get());
        subscription.dispose();
        waitingClaim.dispose();
        long ticksAtClose = ticks(firstRegistry);

        try (PostgresEngine second = EngineFixture.start(db, clock, b -> b.backgroundReconcilers(true)
                .applicationName("rc11-second").reconcilerInterval("lease_expiry", Duration.ofMillis(100)))) {
            String lane2 = lane("rc11-second");
            ExecutionId id = create(second, lane2);
            ClaimedExecution claimed = claim(second, lane2, Duration.ofSeconds(1));
            assertThat(claimed.executionId()).isEqualTo(id);
            // The second engine's own scheduled lease_expiry sweeps its expired lease (and any the first left).
            within(Duration.ofSeconds(10)).until(() -> "waiting".equals(publicState(db, id)));
            assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                    + " AND ownership_state = 'lease_expired_reclaimable'", firstLane)).isEqualTo(5);
            ClaimedExecution again = await(second.workers().claim(claimRequest(lane2, "w2", null)));
            assertThat(again).isNotNull();
            await(second.workers().complete(again.fence(), null, null));
            assertThat(publicState(db, id)).isEqualTo("completed");
            assertThat(connections(db, "rc11-first")).as("no connection of the first engine came back").isZero();
        }
        assertThat(ticks(firstRegistry)).as("no tick of the closed engine ran since").isEqualTo(ticksAtClose);
    }
}
