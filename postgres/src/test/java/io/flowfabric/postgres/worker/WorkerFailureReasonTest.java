package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.completionEvents;
import static io.flowfabric.postgres.worker.WorkerTestSupport.create;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static io.flowfabric.postgres.worker.WorkerTestSupport.execRow;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.worker.TaskFailure;
import io.flowfabric.core.worker.TaskHandler;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * Whatever a handler fails with, the runtime records the failure: it shortens what it passes to {@code fail} so the
 * engine's limits (spec 09: message 4 KiB, category 64 bytes, valid Unicode) never reject it. A rejected
 * {@code fail} would leave the execution leased to nobody until its lease expires, then reclaim and re-run it, over
 * and over, instead of failing it once. Executions here have the default policy (no retries) and no background
 * reconcilers run, so after the handler's single run the execution must already be {@code failed}.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerFailureReasonTest {

    private static final String PREFIX = "java.lang.RuntimeException: ";

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

    /** Runs {@code handler} once on a new execution and returns the id once the runtime is done with it. */
    private ExecutionId runOnce(String prefix, TaskHandler handler) {
        String lane = lane(prefix);
        ExecutionId id = create(engine, lane, "failing", "x");
        AtomicInteger calls = new AtomicInteger();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId(prefix + "-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("failing", ctx -> {
                    calls.incrementAndGet();
                    return handler.handle(ctx);
                })
                .build().start();
        try {
            // The runtime frees the slot only after it tried to record the outcome.
            eventually().until(() -> calls.get() == 1 && runtime.inFlight() == 0);
        } finally {
            runtime.close();
        }
        assertThat(calls.get()).isEqualTo(1);
        return id;
    }

    @Test
    @DisplayName("a 5,000-character error message is cut to the 4 KiB limit and the execution fails")
    void longMessageIsShortened() {
        String message = "m".repeat(5000);
        ExecutionId id = runOnce("long", ctx -> Mono.error(new RuntimeException(message)));

        Map<String, Object> row = execRow(db, id, "public_state, last_failure_message");
        assertThat(row).containsEntry("public_state", "failed");
        assertThat((String) row.get("last_failure_message")).hasSize(4096).startsWith(PREFIX + "mmm");
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
    }

    @Test
    @DisplayName("an error message whose 4 KiB cut falls inside an emoji still fails the execution")
    void cutNeverSplitsASurrogatePair() {
        // PREFIX + letters = 4094 bytes: the emoji's 4 UTF-8 bytes would straddle the 4096-byte limit.
        String message = "a".repeat(4096 - 2 - PREFIX.length()) + "\uD83D\uDE00 and more text after the emoji";
        assertThat(Character.isHighSurrogate((PREFIX + message).charAt(4094))).isTrue();
        ExecutionId id = runOnce("emoji", ctx -> Mono.error(new RuntimeException(message)));

        Map<String, Object> row = execRow(db, id, "public_state, last_failure_message");
        assertThat(row.get("public_state")).as("state after the handler's only run").isEqualTo("failed");
        assertThat((String) row.get("last_failure_message")).startsWith(PREFIX + "aaa").hasSize(4094);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
    }

    @Test
    @DisplayName("a TaskFailure with a category over the 64-byte limit still fails the execution")
    void oversizedCategoryIsShortened() {
        String category = "category-".repeat(10);
        ExecutionId id = runOnce("category", ctx -> Mono.error(
                new TaskFailure("rejected", FailureClass.PERMANENT, category, "some detail", null)));

        Map<String, Object> row = execRow(db, id, "public_state, last_failure_message, last_failure_category");
        assertThat(row.get("public_state")).as("state after the handler's only run").isEqualTo("failed");
        assertThat(row).containsEntry("last_failure_message", "rejected");
        // Shortened to fit or dropped: either is a valid way to keep the failure recordable.
        Object stored = row.get("last_failure_category");
        if (stored != null) {
            assertThat(category).startsWith((String) stored);
        }
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
    }
}
