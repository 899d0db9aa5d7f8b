package io.flowfabric.postgres.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerRuntimeSmokeTest {

    private PostgresEngine engine;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("a runtime with concurrency 4 runs 30 executions to completion and never runs 5 at once")
    void runsEverythingWithinConcurrency(TestDatabase db) {
        Flux.range(0, 30).flatMap(i -> engine.executions().createExecution(CreateExecution.builder("rt")
                .executionKind("echo").input("n" + i).build())).blockLast();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("rt-worker").lane("rt").concurrency(4).idleWait(Duration.ofSeconds(2))
                .handler("echo", ctx -> Mono.delay(Duration.ofMillis(30)).thenReturn(ctx.inputText().toUpperCase()))
                .build().start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE public_state = 'completed'") == 30);
            assertThat(runtime.maxConcurrentObserved()).isBetween(1, 4);
            assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE result_payload = "
                    + "convert_to('N7', 'UTF8')")).isEqualTo(1);
        } finally {
            runtime.close();
        }
    }
}
