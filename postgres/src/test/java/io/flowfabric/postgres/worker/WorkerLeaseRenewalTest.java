package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.TIMEOUT;
import static io.flowfabric.postgres.worker.WorkerTestSupport.attemptRows;
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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * The runtime renews the lease while a handler runs, so a handler slower than the lease TTL keeps its execution even
 * with the background {@code lease_expiry} job sweeping every 200 ms, and a renewal that takes longer than the renewal
 * period does not make the runtime give up a lease it still holds.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerLeaseRenewalTest {

    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock, WorkerTestSupport::backgroundReconcilers);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("a 3 s handler under a 1 s lease TTL completes on attempt 0: no reclaim, at least 2 'renewed' events")
    void slowHandlerKeepsItsLease() {
        String lane = lane("renew");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        ExecutionId id = create(engine, lane, "slow", "x");
        long started = System.nanoTime();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("renew-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .leaseTtl(Duration.ofSeconds(1))
                .handler("slow", ctx -> {
                    attempts.add(ctx.attempt());
                    return Mono.delay(Duration.ofSeconds(3)).thenReturn("slow-done");
                })
                .build().start();
        try {
            eventually().until(() -> "completed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).as("the handler outlived its lease TTL several times").isGreaterThan(Duration.ofSeconds(3));
        assertThat(engine.reconcilers().status()).as("lease_expiry ran in the background meanwhile")
                .containsKey("lease_expiry");
        assertThat(attempts).containsExactly(0);
        assertThat(execRow(db, id, "attempt_count, current_attempt_index, lease_reclaim_count, result_encoding,"
                + " convert_from(result_payload, 'UTF8') AS result"))
                .containsEntry("attempt_count", 1).containsEntry("current_attempt_index", 0)
                .containsEntry("lease_reclaim_count", 0).containsEntry("result_encoding", "text/plain")
                .containsEntry("result", "slow-done");
        assertThat(attemptRows(db, id, "attempt_index, end_reason"))
                .containsExactly(Map.of("attempt_index", 0, "end_reason", "completed"));
        assertThat(leaseEvents(db, id, "renewed")).isGreaterThanOrEqualTo(2);
        assertThat(leaseEvents(db, id, "expired")).isZero();
        assertThat(leaseEvents(db, id, "reclaimed")).isZero();
        assertThat(leaseEvents(db, id, "acquired")).isEqualTo(1);
        assertThat(completionEvents(db, id, "success")).isEqualTo(1);
    }
    @Test
    @DisplayName("a renewal slower than renewEvery (row lock held 1 s, renewEvery 200 ms) does not cancel the handler")
    void slowRenewalDoesNotCancelTheHandler() throws SQLException {
        String lane = lane("slowrenew");
        ExecutionId id = create(engine, lane, "steady", "x");
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("slowrenew-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .leaseTtl(Duration.ofSeconds(10)).renewEvery(Duration.ofMillis(200))
                .handler("steady", ctx -> Mono.delay(Duration.ofSeconds(3))
                        .doOnSubscribe(s -> started.set(true))
                        .doOnCancel(() -> cancelled.set(true))
                        .doOnSuccess(v -> finished.set(true))
                        .thenReturn("steady-done"))
                .build().start();
        try {
            eventually().untilTrue(started);
            try (Connection blocker = db.openConnection()) {
                // Holding the execution row makes the next renewal wait for the lock, as contention or a slow
                // database would; the lease itself (10 s) stays valid throughout.
                blocker.setAutoCommit(false);
                try (PreparedStatement lock = blocker.prepareStatement("SELECT 1 FROM flowfabric.ff_exec_core"
                        + " WHERE partition_key = ? AND execution_id = ? FOR UPDATE")) {
                    lock.setInt(1, id.partition());
                    lock.setObject(2, id.uuid());
                    lock.executeQuery().close();
                }
                eventually().until(() -> blockedRowLocks() >= 1);
                // Keep the renewal blocked for five renewal periods.
                eventually().during(Duration.ofSeconds(1)).until(() -> blockedRowLocks() >= 1);
                blocker.rollback();
            }
            eventually().until(() -> cancelled.get() || finished.get());
            assertThat(cancelled).as("the handler was cancelled although its lease never ended").isFalse();
            eventually().until(() -> "completed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }
        assertThat(execRow(db, id, "attempt_count, lease_reclaim_count, convert_from(result_payload, 'UTF8') AS result"))
                .containsEntry("attempt_count", 1).containsEntry("lease_reclaim_count", 0)
                .containsEntry("result", "steady-done");
    }

    @Test
    @DisplayName("an operator cancel while the handler runs makes the next renewal fail: the handler is cancelled and the worker writes nothing")
    void lostLeaseCancelsTheHandler() {
        String lane = lane("cancelled");
        ExecutionId id = create(engine, lane, "long", "x");
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("cancelled-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .leaseTtl(Duration.ofSeconds(5)).renewEvery(Duration.ofMillis(200))
                .handler("long", ctx -> Mono.delay(Duration.ofMinutes(5))
                        .doOnSubscribe(s -> started.set(true))
                        .doOnCancel(() -> cancelled.set(true))
                        .thenReturn("never"))
                .build().start();
        try {
            eventually().untilTrue(started);
            engine.operator().cancelExecution(id, "operator says stop", "test-operator").block(TIMEOUT);

            eventually().untilTrue(cancelled);
            eventually().until(() -> runtime.inFlight() == 0);
        } finally {
            runtime.close();
        }
        assertThat(execRow(db, id, "public_state, attempt_count, result_payload, cancellation_reason"))
                .containsEntry("public_state", "cancelled").containsEntry("attempt_count", 1)
                .containsEntry("result_payload", null).containsEntry("cancellation_reason", "operator says stop");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "cancelled")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "released")).as("the worker released nothing: it no longer held the lease")
                .isZero();
    }

    /** Engine statements waiting for a row lock on an execution (renewals and other fence checks). */
    private long blockedRowLocks() {
        return db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND state = 'active' AND wait_event_type = 'Lock'"
                + " AND position('FOR NO KEY UPDATE' in query) > 0");
    }
}
