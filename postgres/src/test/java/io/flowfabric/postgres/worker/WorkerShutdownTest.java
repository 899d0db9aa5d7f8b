package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.TIMEOUT;
import static io.flowfabric.postgres.worker.WorkerTestSupport.completionEvents;
import static io.flowfabric.postgres.worker.WorkerTestSupport.create;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static io.flowfabric.postgres.worker.WorkerTestSupport.execRow;
import static io.flowfabric.postgres.worker.WorkerTestSupport.leaseEvents;
import static io.flowfabric.postgres.worker.WorkerTestSupport.publicState;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * Graceful shutdown: {@code stop(grace)} and {@code close()} stop claiming at once, let running handlers finish and
 * record their outcomes, and cancel (without recording anything) what still runs when the grace period ends.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerShutdownTest {

    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("stop(10 s) with 2 of 5 executions running completes those 2 and claims none of the other 3")
    void stopDrainsInFlightAndClaimsNothingNew() {
        drainsInFlightAndClaimsNothingNew("stop", runtime -> runtime.stop(Duration.ofSeconds(10)).block(TIMEOUT));
    }

    @Test
    @DisplayName("close() with 2 of 5 executions running completes those 2 and claims none of the other 3")
    void closeDrainsInFlightAndClaimsNothingNew() {
        drainsInFlightAndClaimsNothingNew("close", WorkerRuntime::close);
    }

    private void drainsInFlightAndClaimsNothingNew(String prefix, Consumer<WorkerRuntime> shutdown) {
        String lane = lane(prefix);
        List<ExecutionId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(create(engine, lane, "slow", "n" + i));
        }
        AtomicInteger handlerCalls = new AtomicInteger();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId(prefix + "-worker").lane(lane).concurrency(2).idleWait(Duration.ofSeconds(5))
                .handler("slow", ctx -> {
                    handlerCalls.incrementAndGet();
                    return Mono.delay(Duration.ofSeconds(1)).thenReturn("done-" + ctx.inputText());
                })
                .build().start();
        try {
            eventually().until(() -> runtime.inFlight() == 2);
            assertThat(ids.stream().filter(id -> "active".equals(publicState(db, id))).count()).isEqualTo(2);
        } finally {
            shutdown.accept(runtime);
        }

        // The shutdown call returns only after the running handlers' outcomes were recorded.
        assertThat(runtime.inFlight()).isZero();
        assertThat(handlerCalls.get()).isEqualTo(2);
        assertThat(ids.stream().filter(id -> "completed".equals(publicState(db, id))).count()).isEqualTo(2);
        assertThat(ids.stream().filter(id -> completionEvents(db, id, "success") == 1).count()).isEqualTo(2);
        // Nothing is claimed after the shutdown, not even with free slots and ready work in the lane.
        eventually().during(Duration.ofMillis(600)).until(() -> db.queryLong(
                "SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ? AND public_state = 'waiting'"
                        + " AND attempt_count = 0", lane) == 3);
        assertThat(handlerCalls.get()).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND attempt_count > 0", lane)).isEqualTo(2);
    }

    @Test
    @DisplayName("stop() while a claim statement is running leaves no execution leased to the stopped runtime")
    void stopDuringAClaimLeavesNothingLeased() throws Exception {
        String lane = lane("race");
        AtomicInteger handlerCalls = new AtomicInteger();
        WorkerRuntime runtime = quickRuntime("race-worker", lane, 1, Duration.ofSeconds(5), handlerCalls);
        ExecutionId id;
        try (Connection blocker = db.openConnection()) {
            // The claim statement writes lease events: holding this lock parks any claim inside its statement, so
            // the test can stop the runtime at a known point, exactly while a claim runs.
            blocker.setAutoCommit(false);
            try (Statement lock = blocker.createStatement()) {
                lock.execute("LOCK TABLE flowfabric.ff_lease_event IN EXCLUSIVE MODE");
            }
            id = create(engine, lane, "quick", "x");
            eventually().until(() -> runningClaims(true) == 1);

            // Subscribed, not blocked on: a stop() that waits for the running claim must not deadlock the test.
            CompletableFuture<Void> stopped = runtime.stop(Duration.ofSeconds(10)).toFuture();
            blocker.rollback();
            stopped.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        eventually().until(() -> runningClaims(false) == 0);

        // Either the claimed execution was run (or given back) before stop() completed, or it was never taken:
        // nothing may stay leased to a runtime that will neither run nor release it (it would wait for the lease to
        // expire and be reclaimed, counting a reclaim it never deserved).
        assertThat(publicState(db, id))
                .as("state of the execution whose claim was running during stop(); row %s", execRow(db, id,
                        "attempt_count, current_worker_instance_id, lease_expires_at_ms"))
                .isIn("waiting", "completed");
        if ("completed".equals(publicState(db, id))) {
            assertThat(handlerCalls.get()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("stop(40 s) of an idle runtime parked in a claim with idleWait 60 s returns within 20 s, without waiting out the idle wait or the grace, and claims nothing afterwards")
    void stopEndsAnIdleWaitAtOnce() {
        String lane = lane("idle-stop");
        AtomicInteger handlerCalls = new AtomicInteger();
        WorkerRuntime runtime = quickRuntime("idle-worker", lane, 2, Duration.ofSeconds(60), handlerCalls);
        // The lane is empty: the first claim finds nothing and the runtime parks for up to 60 s.
        eventually().until(() -> db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                + " current_database() AND query LIKE 'LISTEN %'") > 0);

        // Before, stop waited for the parked claim until idleWait (60 s) or the grace (40 s) ended, beyond this bound.
        runtime.stop(Duration.ofSeconds(40)).block(Duration.ofSeconds(20));

        ExecutionId id = create(engine, lane, "quick", "after-stop");
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertThat(publicState(db, id)).as("an execution created after stop").isEqualTo("waiting");
        assertThat(handlerCalls.get()).isZero();
    }

    /** A started runtime on {@code lane} whose {@code quick} handler counts its calls and returns at once. */
    private WorkerRuntime quickRuntime(String workerId, String lane, int concurrency, Duration idleWait,
                                       AtomicInteger calls) {
        return WorkerRuntime.builder(engine)
                .workerId(workerId).lane(lane).concurrency(concurrency).idleWait(idleWait)
                .handler("quick", ctx -> {
                    calls.incrementAndGet();
                    return Mono.just("ran");
                })
                .build().start();
    }

    /** Claim statements executing now (optionally only those waiting for a lock), seen from pg_stat_activity. */
    private long runningClaims(boolean waitingForLock) {
        return db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND state = 'active' AND position('cand AS' in query) > 0"
                + (waitingForLock ? " AND wait_event_type = 'Lock'" : ""));
    }

    @Test
    @DisplayName("stop(200 ms) with a handler that outlasts the grace period cancels it and records nothing for it")
    void stopCancelsWhatOutlastsTheGrace() {
        String lane = lane("grace");
        ExecutionId id = create(engine, lane, "endless", "x");
        AtomicBoolean running = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("grace-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("endless", ctx -> Mono.delay(Duration.ofMinutes(5))
                        .doOnSubscribe(s -> running.set(true))
                        .doOnCancel(() -> cancelled.set(true))
                        .thenReturn("never"))
                .build().start();
        eventually().untilTrue(running);

        runtime.stop(Duration.ofMillis(200)).block(TIMEOUT);

        assertThat(cancelled).as("the handler was cancelled when the grace period ended").isTrue();
        assertThat(runtime.inFlight()).isZero();
        // Nothing was written for the cancelled handler: the lease stays until it expires and is reclaimed.
        assertThat(execRow(db, id, "public_state, attempt_count, result_payload"))
                .containsEntry("public_state", "active").containsEntry("attempt_count", 1)
                .containsEntry("result_payload", null);
        assertThat(completionEvents(db, id)).isZero();
        assertThat(leaseEvents(db, id, "released")).isZero();
        assertThat(leaseEvents(db, id, "acquired")).isEqualTo(1);
    }
}
