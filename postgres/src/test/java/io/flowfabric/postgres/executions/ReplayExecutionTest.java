package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.attemptCount;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.execText;
import static io.flowfabric.postgres.executions.ExecTestSupport.operatorEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.tableState;
import static io.flowfabric.postgres.executions.ExecTestSupport.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.ReplayOptions;
import io.flowfabric.core.execution.Replayed;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code replayExecution} of standalone executions (spec 02 §8.4): the replay vector, the cleared fields, the kept
 * attempts, the replay attempt of the next claim, the operator event, and the errors that write nothing.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayExecutionTest {

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

    private String details(ExecutionId id, String key) {
        return (String) db.queryValue("SELECT details ->> ? FROM flowfabric.ff_operator_event"
                + " WHERE subject_kind = 'execution' AND subject_id = ? AND event_type = 'replayed'"
                + " ORDER BY event_id DESC LIMIT 1", key, id.toString()).orElseThrow();
    }

    @Test
    @DisplayName("OP-09 replay a completed execution: Replayed, waiting with pending_replay_attempt, replay_count 1, result cleared, attempts kept, the lane notified, the next claim inserts attempt 1 of type replay, operator event replayed{branch normal}")
    void replayCompleted() {
        String lane = lane("op09");
        ExecutionId id = create(engine, lane);
        ClaimedExecution first = claim(engine, lane, "w");
        await(engine.workers().complete(first.fence(), "done".getBytes(StandardCharsets.UTF_8), "text"));

        Replayed replayed;
        try (ExecTestSupport.Listener ready = new ExecTestSupport.Listener(db, ExecTestSupport.readyChannel(lane))) {
            replayed = await(engine.operator().replayExecution(id, ReplayOptions.withReason("rerun")));
            assertThat(ready.countWithin(Duration.ofSeconds(2))).isGreaterThanOrEqualTo(1);
        }

        assertThat(replayed).isEqualTo(new Replayed(PublicState.WAITING));
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "pending_replay_attempt", "none", "waiting");
        Map<String, Object> row = execRow(db, id, "replay_count, retry_count, result_payload, result_encoding,"
                + " terminal_at_ms, deadline_at_ms, attempt_count");
        assertThat(row).containsEntry("replay_count", 1).containsEntry("retry_count", 0)
                .containsEntry("result_payload", null).containsEntry("result_encoding", null)
                .containsEntry("terminal_at_ms", null).containsEntry("deadline_at_ms", null)
                .containsEntry("attempt_count", 1);
        assertThat(attemptCount(db, id)).isEqualTo(1);
        assertThat(operatorEvents(db, id, "replayed")).isEqualTo(1);
        assertThat(details(id, "branch")).isEqualTo("normal");
        assertThat(details(id, "groupsReset")).isEqualTo("0");
        assertThat(details(id, "reason")).isEqualTo("rerun");

        ClaimedExecution again = claim(engine, lane, "w");
        assertThat(again.executionId()).isEqualTo(id);
        assertThat(again.attemptIndex()).isEqualTo(1);
        assertThat(again.attemptType()).isEqualTo(AttemptType.REPLAY);
        assertThat(db.queryValue("SELECT attempt_type FROM flowfabric.ff_attempt WHERE partition_key = ?"
                + " AND execution_id = ? AND attempt_index = 1", id.partition(), id.uuid())).contains("replay");
        assertThat(attemptCount(db, id)).isEqualTo(2);
    }

    @Test
    @DisplayName("Replay a failed execution that had retried: failure fields cleared, retry_count back to 0, the replay attempt follows the kept attempts")
    void replayFailed() {
        String lane = lane("replay-failed");
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(1).backoff(Backoff.fixed(Duration.ZERO)).build()).build())
                .build());
        await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("flaky"),
                FailureClass.TRANSIENT));
        await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("broken"),
                FailureClass.PERMANENT));
        assertThat(execRow(db, id, "public_state, retry_count, last_failure_message"))
                .containsEntry("public_state", "failed").containsEntry("retry_count", 1)
                .containsEntry("last_failure_message", "broken");

        assertThat(await(engine.operator().replayExecution(id, ReplayOptions.none())).publicState())
                .isEqualTo(PublicState.WAITING);

        assertThat(execRow(db, id, "retry_count, replay_count, last_failure_message, last_failure_category"))
                .containsEntry("retry_count", 0).containsEntry("replay_count", 1)
                .containsEntry("last_failure_message", null).containsEntry("last_failure_category", null);
        ClaimedExecution again = claim(engine, lane, "w");
        assertThat(again.attemptIndex()).isEqualTo(2);
        assertThat(again.attemptType()).isEqualTo(AttemptType.REPLAY);
    }

    @Test
    @DisplayName("OP-10 replay a cancelled execution: Replayed with the cancellation fields cleared; replay an active one: EXECUTION_NOT_TERMINAL with nothing changed")
    void replayCancelledAndActive() {
        String lane = lane("op10");
        ExecutionId cancelled = create(engine, lane);
        await(engine.operator().cancelExecution(cancelled, "stop", "alice"));

        assertThat(await(engine.operator().replayExecution(cancelled, ReplayOptions.none())))
                .isEqualTo(new Replayed(PublicState.WAITING));
        assertThat(execRow(db, cancelled, "cancelled_by, cancellation_reason, attempt_state, attempt_count"))
                .containsEntry("cancelled_by", null).containsEntry("cancellation_reason", null)
                .containsEntry("attempt_state", "pending_replay_attempt").containsEntry("attempt_count", 0);
        ClaimedExecution claimed = claim(engine, lane, "w");
        assertThat(claimed.executionId()).isEqualTo(cancelled);
        assertThat(claimed.attemptIndex()).isZero();
        assertThat(claimed.attemptType()).isEqualTo(AttemptType.REPLAY);

        String before = execText(db, cancelled);
        StateException notTerminal = catchThrowableOfType(
                () -> await(engine.operator().replayExecution(cancelled, ReplayOptions.none())),
                StateException.class);
        assertThat(notTerminal.kind()).isEqualTo(StateException.Kind.EXECUTION_NOT_TERMINAL);
        assertThat(notTerminal.details()).containsEntry("publicState", "active");
        assertThat(execText(db, cancelled)).isEqualTo(before);
        assertThat(operatorEvents(db, cancelled, "replayed")).isEqualTo(1);
    }

    @Test
    @DisplayName("OP-10 with maxReplayCount 2 the third replay is REPLAY_CAP_EXCEEDED and changes nothing")
    void replayCap() {
        String lane = lane("op10-cap");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(ExecutionPolicy.builder().maxReplayCount(2).build()).build());
        for (int i = 0; i < 2; i++) {
            await(engine.operator().cancelExecution(id, null, null));
            assertThat(await(engine.operator().replayExecution(id, ReplayOptions.none())).publicState())
                    .isEqualTo(PublicState.WAITING);
        }
        await(engine.operator().cancelExecution(id, null, null));
        Map<String, Object> before = tableState(db);

        StateException capped = catchThrowableOfType(
                () -> await(engine.operator().replayExecution(id, ReplayOptions.none())), StateException.class);

        assertThat(capped.kind()).isEqualTo(StateException.Kind.REPLAY_CAP_EXCEEDED);
        assertThat(capped.details()).containsEntry("replayCount", 2).containsEntry("maxReplayCount", 2);
        assertThat(tableState(db)).isEqualTo(before);
        assertThat(execRow(db, id, "replay_count, public_state")).containsEntry("replay_count", 2)
                .containsEntry("public_state", "cancelled");
    }

    @Test
    @DisplayName("Replay sets a new deadline from deadlineAfter and otherwise clears the old one")
    void replayDeadline() {
        String lane = lane("replay-deadline");
        ExecutionId id = create(engine, CreateExecution.builder(lane).deadlineAfter(Duration.ofHours(2)).build());
        await(engine.operator().cancelExecution(id, null, null));
        await(engine.operator().replayExecution(id, ReplayOptions.none()));
        assertThat(execRow(db, id, "deadline_at_ms")).containsEntry("deadline_at_ms", null);

        await(engine.operator().cancelExecution(id, null, null));
        long now = db.queryLong("SELECT flowfabric.now_ms()");
        await(engine.operator().replayExecution(id, ReplayOptions.none().deadlineAfter(Duration.ofHours(1))));
        long deadline = (Long) execRow(db, id, "deadline_at_ms").get("deadline_at_ms");
        assertThat(deadline).isBetween(now + 3_600_000 - 5_000, now + 3_600_000 + 60_000);
    }

    @Test
    @DisplayName("Replay input errors are ValidationException and an unknown id is NotFound(EXECUTION); nothing is written")
    void replayErrors() {
        String lane = lane("replay-errors");
        ExecutionId id = create(engine, lane);
        await(engine.operator().cancelExecution(id, null, null));
        Map<String, Object> before = tableState(db);

        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(id,
                ReplayOptions.withReason("x".repeat(1025)))), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(id,
                ReplayOptions.none().deadlineAfter(Duration.ZERO))), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(id,
                ReplayOptions.none().deadlineAfter(Duration.ofDays(366)))), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(id, null)),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(null,
                ReplayOptions.none())), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_ID);
        assertThat(catchThrowableOfType(() -> await(engine.operator().replayExecution(ExecutionId.standalone(),
                ReplayOptions.none())), NotFoundException.class).entity())
                .isEqualTo(NotFoundException.Entity.EXECUTION);
        assertThat(tableState(db)).isEqualTo(before);
    }
}
