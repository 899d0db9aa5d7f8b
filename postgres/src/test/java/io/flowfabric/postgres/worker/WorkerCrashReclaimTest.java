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
import static org.assertj.core.api.Assertions.catchThrowable;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * {@code kill()} behaves like a crash: nothing is written, the lease is no longer renewed, and once it expires another
 * node's {@code lease_expiry} job makes the execution reclaimable for another worker; the dead worker's fence is
 * rejected afterwards.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerCrashReclaimTest {

    private PostgresEngine engineA;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        // Node A runs no background reconcilers: only node B can expire the lease.
        engineA = EngineFixture.start(db, clock, b -> b.applicationName("worker-node-a"));
    }

    @AfterAll
    void stop() {
        engineA.close();
    }

    @Test
    @DisplayName("after kill() another node reclaims the execution once the 1 s lease expired (attempt 1, RECLAIMED) and completes it; the dead worker's late completion is rejected")
    void killedWorkersExecutionIsReclaimedElsewhere() {
        String lane = lane("crash");
        ExecutionId id = create(engineA, lane, "stuck", "payload");
        AtomicReference<LeaseFence> fenceA = new AtomicReference<>();
        AtomicBoolean cancelledA = new AtomicBoolean();
        WorkerRuntime runtimeA = WorkerRuntime.builder(engineA)
                .workerId("crash-worker-a").lane(lane).idleWait(Duration.ofSeconds(5))
                .leaseTtl(Duration.ofSeconds(1))
                .handler("stuck", ctx -> {
                    fenceA.set(ctx.fence());
                    return Mono.never().doOnCancel(() -> cancelledA.set(true));
                })
                .build().start();
        eventually().until(() -> fenceA.get() != null);

        runtimeA.kill();

        assertThat(cancelledA).as("kill() cancelled the running handler").isTrue();
        assertThat(runtimeA.inFlight()).isZero();
        assertThat(execRow(db, id, "public_state, current_worker_id"))
                .as("kill() wrote nothing: the execution is still leased to A")
                .containsEntry("public_state", "active").containsEntry("current_worker_id", "crash-worker-a");
        assertThat(leaseEvents(db, id, "released")).isZero();

        List<String> kinds = new CopyOnWriteArrayList<>();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (PostgresEngine engineB = EngineFixture.start(db, clock, b -> {
            WorkerTestSupport.backgroundReconcilers(b);
            b.applicationName("worker-node-b");
        })) {
            WorkerRuntime runtimeB = WorkerRuntime.builder(engineB)
                    .workerId("crash-worker-b").lane(lane).idleWait(Duration.ofSeconds(5))
                    .handler("stuck", ctx -> {
                        kinds.add(ctx.execution().kind().name());
                        attempts.add(ctx.attempt());
                        return Mono.just("finished by B from " + ctx.inputText());
                    })
                    .build().start();
            try {
                eventually().until(() -> "completed".equals(publicState(db, id)));
            } finally {
                runtimeB.close();
            }
        }

        assertThat(kinds).containsExactly(HandleKind.RECLAIMED.name());
        assertThat(attempts).containsExactly(1);
        assertThat(execRow(db, id, "attempt_count, lease_reclaim_count, current_worker_id, result_encoding,"
                + " convert_from(result_payload, 'UTF8') AS result"))
                .containsEntry("attempt_count", 2).containsEntry("lease_reclaim_count", 1)
                .containsEntry("result_encoding", "text/plain").containsEntry("result", "finished by B from payload");
        assertThat(attemptRows(db, id, "attempt_type, attempt_lifecycle, end_reason, worker_id")).containsExactly(
                Map.of("attempt_type", "initial", "attempt_lifecycle", "interrupted_reclaimed",
                        "end_reason", "lease_expired", "worker_id", "crash-worker-a"),
                Map.of("attempt_type", "reclaim", "attempt_lifecycle", "ended_success",
                        "end_reason", "completed", "worker_id", "crash-worker-b"));
        assertThat(leaseEvents(db, id, "expired")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "reclaimed")).isEqualTo(1);

        // A's late completion with its old fence, as if it had only been partitioned away, is rejected.
        Throwable late = catchThrowable(() -> engineA.workers()
                .complete(fenceA.get(), "late from A".getBytes(StandardCharsets.UTF_8), "text/plain").block(TIMEOUT));
        assertThat(late).isInstanceOf(StateException.class);
        assertThat(((StateException) late).kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        assertThat(execRow(db, id, "convert_from(result_payload, 'UTF8') AS result"))
                .containsEntry("result", "finished by B from payload");
        assertThat(completionEvents(db, id)).isEqualTo(1);
    }
}
