package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.attemptRows;
import static io.flowfabric.postgres.worker.WorkerTestSupport.completionEvents;
import static io.flowfabric.postgres.worker.WorkerTestSupport.create;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static io.flowfabric.postgres.worker.WorkerTestSupport.execRow;
import static io.flowfabric.postgres.worker.WorkerTestSupport.publicState;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.worker.TaskFailure;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * A handler's error fails the attempt through the runtime, and the execution's retry policy decides the rest: plain
 * errors are retried with the policy's backoff until the retries run out, {@link TaskFailure#permanent} is never
 * retried. The background delayed promoter makes retries claimable again, as in production.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerRetryTest {

    private static final ExecutionPolicy TWO_RETRIES = ExecutionPolicy.builder()
            .retry(RetryPolicy.builder().maxRetries(2).backoff(Backoff.fixed(Duration.ofMillis(100))).build())
            .build();

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
    @DisplayName("a handler that always errors is retried twice with a 100 ms backoff, then fails: 3 attempts, one 'failed' completion event")
    void retriesThenFailsTerminally() {
        String lane = lane("retry");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        ExecutionId id = create(engine, CreateExecution.builder(lane).executionKind("flaky").input("x")
                .policy(TWO_RETRIES).build());
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("retry-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("flaky", ctx -> {
                    attempts.add(ctx.attempt());
                    return Mono.error(new RuntimeException("boom " + ctx.attempt()));
                })
                .build().start();
        try {
            eventually().until(() -> "failed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }

        assertThat(attempts).as("attempt index seen by each handler call").containsExactly(0, 1, 2);
        Map<String, Object> row = execRow(db, id, "attempt_count, retry_count, terminal_outcome, last_failure_message");
        assertThat(row).containsEntry("attempt_count", 3).containsEntry("retry_count", 2)
                .containsEntry("terminal_outcome", "failed")
                .containsEntry("last_failure_message", "java.lang.RuntimeException: boom 2");
        List<Map<String, Object>> rows = attemptRows(db, id, "attempt_type, end_reason, started_at_ms, ended_at_ms,"
                + " end_detail->>'failureClass' AS failure_class");
        assertThat(rows).extracting(r -> r.get("attempt_type")).containsExactly("initial", "retry", "retry");
        assertThat(rows).extracting(r -> r.get("end_reason"))
                .containsExactly("retry_scheduled", "retry_scheduled", "failed");
        assertThat(rows).extracting(r -> r.get("failure_class")).containsOnly("TRANSIENT");
        for (int i = 1; i < rows.size(); i++) {
            long previousEnd = (Long) rows.get(i - 1).get("ended_at_ms");
            long start = (Long) rows.get(i).get("started_at_ms");
            assertThat(start - previousEnd).as("backoff before attempt %d (ms)", i).isGreaterThanOrEqualTo(100);
        }
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
        assertThat(db.queryLong("SELECT attempt_index FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid())).isEqualTo(2);
    }

    @Test
    @DisplayName("TaskFailure.permanent fails the execution at once although its policy allows 2 retries")
    void permanentFailureIsNotRetried() {
        String lane = lane("permanent");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        ExecutionId id = create(engine, CreateExecution.builder(lane).executionKind("doomed").input("x")
                .policy(TWO_RETRIES).build());
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("permanent-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("doomed", ctx -> {
                    attempts.add(ctx.attempt());
                    return Mono.error(TaskFailure.permanent("input can never be processed"));
                })
                .build().start();
        try {
            eventually().until(() -> "failed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }

        assertThat(attempts).containsExactly(0);
        assertThat(execRow(db, id, "attempt_count, retry_count, last_failure_message"))
                .containsEntry("attempt_count", 1).containsEntry("retry_count", 0)
                .containsEntry("last_failure_message", "input can never be processed");
        assertThat(attemptRows(db, id, "end_reason, end_detail->>'failureClass' AS failure_class"))
                .containsExactly(Map.of("end_reason", "failed", "failure_class", "PERMANENT"));
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
    }
}
