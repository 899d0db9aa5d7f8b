package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.attemptRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.completionEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.leaseEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.operatorEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorCancelTest {

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
    @DisplayName("OP-01 cancel an active execution at epoch 5: Cancelled, terminal cancelled, lease cleared, epoch 6, one revoked and one completion event, operator event; the worker's complete is EXECUTION_NOT_ACTIVE")
    void cancelActive() {
        String lane = lane("op01");
        ExecutionId id = create(engine, lane);
        // Epochs: claim 1, yield 2, claim 3, yield 4, claim 5.
        await(engine.workers().delay(claim(engine, lane, "w").fence(), Duration.ZERO));
        await(engine.workers().delay(claim(engine, lane, "w").fence(), Duration.ZERO));
        ClaimedExecution claimed = claim(engine, lane, "w");
        assertThat(claimed.leaseEpoch()).isEqualTo(5);

        Cancelled cancelled = await(engine.operator().cancelExecution(id, "operator says stop", "alice"));

        assertThat(cancelled).isEqualTo(new Cancelled(PublicState.CANCELLED));
        assertThat(vector(db, id)).containsExactly("terminal", "unowned", "not_applicable", "none",
                "attempt_terminal", "cancelled", "cancelled");
        Map<String, Object> row = execRow(db, id, "lease_epoch, current_lease_id, lease_expires_at_ms,"
                + " current_worker_id, cancelled_by, cancellation_reason, terminal_at_ms");
        assertThat(row.get("lease_epoch")).isEqualTo(6L);
        assertThat(row.get("current_lease_id")).isNull();
        assertThat(row.get("lease_expires_at_ms")).isNull();
        assertThat(row.get("current_worker_id")).isNull();
        assertThat(row.get("cancelled_by")).isEqualTo("operator");
        assertThat(row.get("cancellation_reason")).isEqualTo("operator says stop");
        assertThat(row.get("terminal_at_ms")).isNotNull();
        assertThat(leaseEvents(db, id, "revoked")).isEqualTo(1);
        assertThat(db.queryValue("SELECT lease_epoch FROM flowfabric.ff_lease_event WHERE partition_key = ?"
                + " AND execution_id = ? AND event_type = 'revoked'", id.partition(), id.uuid())).contains(5L);
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "cancelled")).isEqualTo(1);
        assertThat(operatorEvents(db, id, "execution_cancelled")).isEqualTo(1);
        assertThat(db.queryValue("SELECT actor FROM flowfabric.ff_operator_event WHERE subject_id = ?",
                id.toString())).contains("alice");
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_cancelled").containsEntry("end_reason", "cancelled");

        StateException error = catchThrowableOfType(
                () -> await(engine.workers().complete(claimed.fence(), null, null)), StateException.class);
        assertThat(error).isNotNull();
        assertThat(error.kind()).isEqualTo(StateException.Kind.EXECUTION_NOT_ACTIVE);
        assertThat(error.details()).containsEntry("outcome", "cancelled").containsEntry("lifecycle", "terminal");
        assertThat(completionEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("OP-02 cancel a never-claimed execution: Cancelled, attempt_state none, one completion event, no lease event")
    void cancelNeverClaimed() {
        String lane = lane("op02");
        ExecutionId id = create(engine, lane);

        Cancelled cancelled = await(engine.operator().cancelExecution(id, null, null));

        assertThat(cancelled).isEqualTo(new Cancelled(PublicState.CANCELLED));
        assertThat(vector(db, id)).containsExactly("terminal", "unowned", "not_applicable", "none", "none",
                "cancelled", "cancelled");
        assertThat(execRow(db, id, "lease_epoch, attempt_count"))
                .containsEntry("lease_epoch", 0L).containsEntry("attempt_count", 0);
        assertThat(completionEvents(db, id, "cancelled")).isEqualTo(1);
        assertThat(leaseEvents(db, id)).isZero();
        assertThat(ExecTestSupport.attemptCount(db, id)).isZero();
        assertThat(operatorEvents(db, id, "execution_cancelled")).isEqualTo(1);
    }

    @Test
    @DisplayName("OP-02 cancel a paused (worker-delayed) and a retry-backoff execution: attempt ended where it was running, no lease event, one completion event each")
    void cancelPausedAndBackoff() {
        String pausedLane = lane("op02p");
        ExecutionId paused = create(engine, pausedLane);
        await(engine.workers().delay(claim(engine, pausedLane, "w").fence(), Duration.ofMinutes(5)));
        String backoffLane = lane("op02b");
        ExecutionId backoff = create(engine, io.flowfabric.core.execution.CreateExecution.builder(backoffLane)
                .policy(io.flowfabric.core.policy.ExecutionPolicy.builder().retry(io.flowfabric.core.policy.RetryPolicy
                        .builder().maxRetries(3).backoff(io.flowfabric.core.policy.Backoff.fixed(Duration.ofMinutes(5)))
                        .build()).build()).build());
        await(engine.workers().fail(claim(engine, backoffLane, "w").fence(),
                io.flowfabric.core.execution.FailureReason.of("x"), io.flowfabric.core.policy.FailureClass.TRANSIENT));
        long pausedLeaseEvents = leaseEvents(db, paused);
        long backoffLeaseEvents = leaseEvents(db, backoff);

        assertThat(await(engine.operator().cancelExecution(paused, null, null)).publicState())
                .isEqualTo(PublicState.CANCELLED);
        assertThat(await(engine.operator().cancelExecution(backoff, null, null)).publicState())
                .isEqualTo(PublicState.CANCELLED);

        assertThat(vector(db, paused)).containsExactly("terminal", "unowned", "not_applicable", "none",
                "attempt_terminal", "cancelled", "cancelled");
        assertThat(attemptRow(db, paused, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_cancelled").containsEntry("end_reason", "cancelled");
        assertThat(execRow(db, paused, "delay_until_ms, lease_epoch"))
                .containsEntry("delay_until_ms", null).containsEntry("lease_epoch", 2L);
        assertThat(attemptRow(db, backoff, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "retry_scheduled");
        assertThat(execRow(db, backoff, "delay_until_ms, attempt_state"))
                .containsEntry("delay_until_ms", null).containsEntry("attempt_state", "attempt_terminal");
        assertThat(leaseEvents(db, paused)).isEqualTo(pausedLeaseEvents);
        assertThat(leaseEvents(db, backoff)).isEqualTo(backoffLeaseEvents);
        assertThat(completionEvents(db, paused, "cancelled")).isEqualTo(1);
        assertThat(completionEvents(db, backoff, "cancelled")).isEqualTo(1);
    }

    @Test
    @DisplayName("OP-03 cancel again is Cancelled with no new event; cancel a completed one is ALREADY_TERMINAL(success) with nothing written; unknown id is NotFound(EXECUTION)")
    void cancelIdempotentAndTerminal() {
        String lane = lane("op03");
        ExecutionId cancelledId = create(engine, lane);
        await(engine.operator().cancelExecution(cancelledId, "first", null));
        String cancelledRow = ExecTestSupport.execText(db, cancelledId);

        Cancelled again = await(engine.operator().cancelExecution(cancelledId, "second", null));

        assertThat(again).isEqualTo(new Cancelled(PublicState.CANCELLED));
        assertThat(ExecTestSupport.execText(db, cancelledId)).isEqualTo(cancelledRow);
        assertThat(completionEvents(db, cancelledId)).isEqualTo(1);
        assertThat(operatorEvents(db, cancelledId)).isEqualTo(1);

        ExecutionId completedId = create(engine, lane);
        await(engine.workers().complete(claim(engine, lane, "w").fence(), null, null));
        String completedRow = ExecTestSupport.execText(db, completedId);
        Map<String, Object> tablesBefore = ExecTestSupport.tableState(db);

        StateException terminal = catchThrowableOfType(
                () -> await(engine.operator().cancelExecution(completedId, "too late", null)), StateException.class);

        assertThat(terminal).isNotNull();
        assertThat(terminal.kind()).isEqualTo(StateException.Kind.ALREADY_TERMINAL);
        assertThat(terminal.details()).containsEntry("outcome", "success");
        assertThat(ExecTestSupport.execText(db, completedId)).isEqualTo(completedRow);
        assertThat(ExecTestSupport.tableState(db)).isEqualTo(tablesBefore);

        NotFoundException missing = catchThrowableOfType(
                () -> await(engine.operator().cancelExecution(ExecutionId.standalone(), null, null)),
                NotFoundException.class);
        assertThat(missing).isNotNull();
        assertThat(missing.entity()).isEqualTo(NotFoundException.Entity.EXECUTION);
        assertThat(ExecTestSupport.tableState(db)).isEqualTo(tablesBefore);
    }

    @Test
    @DisplayName("OP-04 two concurrent operator cancels of one leased execution: both Cancelled, one completion and one revoked event")
    void concurrentCancels() {
        for (int round = 0; round < 5; round++) {
            String lane = lane("op04");
            ExecutionId id = create(engine, lane);
            claim(engine, lane, "w");

            List<Cancelled> results = Flux.range(0, 2)
                    .flatMap(i -> engine.operator().cancelExecution(id, "race " + i, "op-" + i), 2)
                    .collectList().block(ExecTestSupport.TIMEOUT);

            assertThat(results).containsExactly(new Cancelled(PublicState.CANCELLED),
                    new Cancelled(PublicState.CANCELLED));
            assertThat(completionEvents(db, id)).isEqualTo(1);
            assertThat(leaseEvents(db, id, "revoked")).isEqualTo(1);
            assertThat(operatorEvents(db, id, "execution_cancelled")).isEqualTo(1);
            assertThat(execRow(db, id, "lease_epoch")).containsEntry("lease_epoch", 2L);
        }
    }
}
