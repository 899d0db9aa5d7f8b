package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.create;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static io.flowfabric.postgres.worker.WorkerTestSupport.publicState;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * An idle worker parks in its claim and is woken by the lane's ready notification (LISTEN/NOTIFY), not by polling:
 * with both the engine's claim poll interval and the runtime's idle wait at 30 s, a new execution still starts
 * within moments, and exactly one claim transaction runs between parking and pickup.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerWakeUpTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock, b -> b.claimPollInterval(Duration.ofSeconds(30))
                .meterRegistry(registry));
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    /** Claim transactions run by the engine so far (one sample per transaction, empty ones included). */
    private long claimTransactions() {
        DistributionSummary summary = registry.find("flowfabric.claim.batch.size").summary();
        return summary == null ? 0 : summary.count();
    }

    @Test
    @DisplayName("an execution created while the worker is idle starts within 1.5 s although nothing polls for 30 s")
    void idleWorkerIsWokenByNotification() {
        // The engine connects its LISTEN connection in the background; a waiter registered before that only polls.
        eventually().until(engine::listenerConnected);
        String lane = lane("wake");
        AtomicLong startedAt = new AtomicLong();
        AtomicLong claimsAtStart = new AtomicLong(-1);
        long claimsBefore = claimTransactions();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("wake-worker").lane(lane).idleWait(Duration.ofSeconds(30))
                .handler("ping", ctx -> {
                    // Without a scheduler the handler is called on the claim's thread, before the next claim round.
                    claimsAtStart.set(claimTransactions());
                    startedAt.set(System.nanoTime());
                    return Mono.just("pong");
                })
                .build().start();
        try {
            // The idle worker's claim ran twice, both empty: a first attempt without arming (a busy lane answers it
            // with no LISTEN round trip), then one after arming the lane's channel; now the worker is parked.
            eventually().until(() -> claimTransactions() == claimsBefore + 2);
            assertThat(engine.listenerChannels()).isGreaterThanOrEqualTo(1);

            long createdAt = System.nanoTime();
            ExecutionId id = create(engine, lane, "ping", "x");
            eventually().until(() -> startedAt.get() != 0);
            Duration pickup = Duration.ofNanos(startedAt.get() - createdAt);

            assertThat(pickup).as("time from create to handler start").isLessThan(Duration.ofMillis(1500));
            assertThat(claimsAtStart.get()).as("claim transactions when the handler started: the two idle ones and"
                    + " the one the wake-up triggered, no poll").isEqualTo(claimsBefore + 3);
            eventually().until(() -> "completed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }
    }
}
