package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.TIMEOUT;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The runtime never runs more handlers at once than its concurrency, measured by the handlers themselves. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerConcurrencyTest {

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
    @DisplayName("a worker with concurrency 4 runs 40 executions of 50 ms each, never 5 at once, and completes them all")
    void neverExceedsConcurrency() {
        String lane = lane("conc");
        Flux.range(0, 40).flatMap(i -> engine.executions().createExecution(CreateExecution.builder(lane)
                .executionKind("tick").input("n" + i).build())).blockLast(TIMEOUT);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        Set<String> inputs = ConcurrentHashMap.newKeySet();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("conc-worker").lane(lane).concurrency(4).idleWait(Duration.ofSeconds(5))
                .handler("tick", ctx -> Mono.defer(() -> {
                    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    inputs.add(ctx.inputText());
                    return Mono.delay(Duration.ofMillis(50)).thenReturn("ok");
                }).doFinally(signal -> running.decrementAndGet()))
                .build().start();
        try {
            eventually().until(() -> db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core"
                    + " WHERE lane_id = ? AND public_state = 'completed'", lane) == 40);
        } finally {
            runtime.close();
        }

        assertThat(maxRunning.get()).as("most handlers seen running at once").isBetween(2, 4);
        assertThat(runtime.maxConcurrentObserved()).isBetween(maxRunning.get(), 4);
        assertThat(inputs).as("every execution ran").hasSize(40);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND attempt_count = 1 AND convert_from(result_payload, 'UTF8') = 'ok'", lane)).isEqualTo(40);
    }
}
