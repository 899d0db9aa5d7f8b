package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.attemptRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.completionEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.leaseEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.vector;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.Delayed;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetryAndDelayTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @BeforeEach
    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private static ExecutionPolicy retries(int max, Backoff backoff) {
        return ExecutionPolicy.builder().retry(RetryPolicy.builder().maxRetries(max).backoff(backoff).build()).build();
    }

    private FailOutcome failTransient(ClaimedExecution claimed, String message) {
        return await(engine.workers().fail(claimed.fence(), FailureReason.of(message), FailureClass.TRANSIENT));
    }

    /** The backoff the engine applied to attempt {@code index}: the stored wake-up time minus the attempt's end. */
    private long appliedDelayMs(ExecutionId id, int index, FailOutcome.RetryScheduled retry) {
        long endedAt = (Long) attemptRow(db, id, index, "ended_at_ms").get("ended_at_ms");
        return retry.retryAt().toEpochMilli() - endedAt;
    }

    @Test
    @DisplayName("RT-01 fail(TRANSIENT) with fixed 500 ms backoff: RetryScheduled{1, now+500ms}, delayed retry-backoff vector, no completion event, claim empty")
    void retryBackoffScheduled() {
        String lane = lane("rt01");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(retries(3, Backoff.fixed(Duration.ofMillis(500)))).build());
        ClaimedExecution claimed = claim(engine, lane, "w");
        Instant before = await(engine.admin().serverTime());

        FailOutcome outcome = failTransient(claimed, "blip");
        Instant after = await(engine.admin().serverTime());

        assertThat(outcome).isInstanceOf(FailOutcome.RetryScheduled.class);
        FailOutcome.RetryScheduled retry = (FailOutcome.RetryScheduled) outcome;
        assertThat(retry.nextAttemptIndex()).isEqualTo(1);
        assertThat(appliedDelayMs(id, 0, retry)).isEqualTo(500);
        assertThat(retry.retryAt()).isBetween(before.plusMillis(500), after.plusMillis(500));
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "not_eligible_until_time",
                "waiting_for_retry_backoff", "pending_retry_attempt", "none", "delayed");
        Map<String, Object> row = execRow(db, id, "retry_count, delay_until_ms, current_lease_id, lease_epoch,"
                + " last_failure_message");
        assertThat(row.get("retry_count")).isEqualTo(1);
        assertThat(row.get("delay_until_ms")).isEqualTo(retry.retryAt().toEpochMilli());
        assertThat(row.get("current_lease_id")).isNull();
        assertThat(row.get("lease_epoch")).isEqualTo(2L);
        assertThat(row.get("last_failure_message")).isEqualTo("blip");
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "retry_scheduled");
        assertThat(completionEvents(db, id)).isZero();
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
        assertThat(await(engine.workers().claim(claimRequest(lane, "w")))).as("claim during backoff").isNull();
    }

    @Test
    @DisplayName("RT-01/RT-02 backoff honoured: claim empty, clock + 500 ms, promoter tick, waiting, claim returns attempt 1 of type retry")
    void retryAfterBackoff() {
        String lane = lane("rt02");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(retries(3, Backoff.fixed(Duration.ofMillis(500)))).build());
        ClaimedExecution first = claim(engine, lane, "w");
        failTransient(first, "blip");
        assertThat(await(engine.workers().claim(claimRequest(lane, "w")))).isNull();

        clock.advance(Duration.ofMillis(500));
        await(engine.reconcilers().tick("delayed_promoter"));

        assertThat(await(engine.executions().readExecutionState(id))).contains(PublicState.WAITING);
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "pending_retry_attempt", "none", "waiting");
        ClaimedExecution second = claim(engine, lane, "w");
        assertThat(second.executionId()).isEqualTo(id);
        assertThat(second.attemptIndex()).isEqualTo(1);
        assertThat(second.attemptType()).isEqualTo(AttemptType.RETRY);
        assertThat(second.kind()).isEqualTo(HandleKind.FRESH);
        assertThat(second.leaseEpoch()).isGreaterThan(first.leaseEpoch());
        assertThat(execRow(db, id, "attempt_count, current_attempt_index, delay_until_ms"))
                .containsEntry("attempt_count", 2).containsEntry("current_attempt_index", 1)
                .containsEntry("delay_until_ms", null);
        assertThat(attemptRow(db, id, 1, "attempt_type, attempt_lifecycle"))
                .containsEntry("attempt_type", "retry").containsEntry("attempt_lifecycle", "started");
    }

    @Test
    @DisplayName("RT-03 exponential 1 s x 2, max 5 s over five retries gives delays 1, 2, 4, 5, 5 s; the sixth failure is terminal")
    void exponentialBackoff() {
        String lane = lane("rt03");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(retries(5, Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(5)))).build());
        List<Long> delays = new ArrayList<>();

        for (int i = 0; i < 5; i++) {
            ClaimedExecution claimed = claim(engine, lane, "w");
            assertThat(claimed.attemptIndex()).isEqualTo(i);
            FailOutcome.RetryScheduled retry = (FailOutcome.RetryScheduled) failTransient(claimed, "try " + i);
            assertThat(retry.nextAttemptIndex()).isEqualTo(i + 1);
            long delay = appliedDelayMs(id, i, retry);
            delays.add(delay);
            Instant serverNow = await(engine.admin().serverTime());
            assertThat(Duration.between(serverNow, retry.retryAt()).toMillis()).isBetween(delay - 1000, delay);
            assertThat(await(engine.workers().claim(claimRequest(lane, "w")))).isNull();
            clock.advance(Duration.ofMillis(delay));
            await(engine.reconcilers().tick("delayed_promoter"));
        }

        assertThat(delays).containsExactly(1000L, 2000L, 4000L, 5000L, 5000L);
        ClaimedExecution last = claim(engine, lane, "w");
        assertThat(last.attemptIndex()).isEqualTo(5);
        assertThat(failTransient(last, "final")).isEqualTo(new FailOutcome.TerminalFailed());
        assertThat(execRow(db, id, "retry_count, attempt_count"))
                .containsEntry("retry_count", 5).containsEntry("attempt_count", 6);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
    }

    @Test
    @DisplayName("RT-04a max 2 retries and a third failure: TerminalFailed, failed, one completion event, attempt_count 3")
    void retriesExhausted() {
        String lane = lane("rt04a");
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .policy(retries(2, Backoff.fixed(Duration.ZERO))).build());

        FailOutcome f1 = failTransient(claim(engine, lane, "w"), "1");
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "pending_retry_attempt", "none", "waiting");
        FailOutcome f2 = failTransient(claim(engine, lane, "w"), "2");
        FailOutcome f3 = failTransient(claim(engine, lane, "w"), "3");

        assertThat(f1).isInstanceOf(FailOutcome.RetryScheduled.class);
        assertThat(f2).isInstanceOf(FailOutcome.RetryScheduled.class);
        assertThat(((FailOutcome.RetryScheduled) f2).nextAttemptIndex()).isEqualTo(2);
        assertThat(f3).isEqualTo(new FailOutcome.TerminalFailed());
        assertThat(vector(db, id)).containsExactly("terminal", "unowned", "not_applicable", "none",
                "attempt_terminal", "failed", "failed");
        assertThat(execRow(db, id, "attempt_count, retry_count, last_failure_message"))
                .containsEntry("attempt_count", 3).containsEntry("retry_count", 2)
                .containsEntry("last_failure_message", "3");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
        assertThat(attemptRow(db, id, 2, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_failure").containsEntry("end_reason", "failed");
    }

    @Test
    @DisplayName("RT-04b without a retry policy a TRANSIENT failure is terminal: TerminalFailed, one completion event")
    void noRetryPolicy() {
        String lane = lane("rt04b");
        ExecutionId id = create(engine, lane);

        FailOutcome outcome = failTransient(claim(engine, lane, "w"), "no policy");

        assertThat(outcome).isEqualTo(new FailOutcome.TerminalFailed());
        assertThat(vector(db, id).get(6)).isEqualTo("failed");
        assertThat(completionEvents(db, id, "failed")).isEqualTo(1);
        assertThat(execRow(db, id, "attempt_count, retry_count"))
                .containsEntry("attempt_count", 1).containsEntry("retry_count", 0);
    }

    @Test
    @DisplayName("RT-04c PERMANENT with retries left is terminal; TIMEOUT not in retryOn is terminal too")
    void neverRetriedClasses() {
        String lane = lane("rt04c");
        ExecutionId permanent = create(engine, CreateExecution.builder(lane)
                .policy(retries(3, Backoff.fixed(Duration.ZERO))).build());
        FailOutcome p = await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("bad input"),
                FailureClass.PERMANENT));
        ExecutionId timeout = create(engine, CreateExecution.builder(lane)
                .policy(retries(3, Backoff.fixed(Duration.ZERO))).build());
        FailOutcome t = await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("slow"),
                FailureClass.TIMEOUT));

        assertThat(p).isEqualTo(new FailOutcome.TerminalFailed());
        assertThat(t).isEqualTo(new FailOutcome.TerminalFailed());
        for (ExecutionId id : List.of(permanent, timeout)) {
            assertThat(vector(db, id).get(6)).isEqualTo("failed");
            assertThat(completionEvents(db, id)).isEqualTo(1);
            assertThat(execRow(db, id, "retry_count")).containsEntry("retry_count", 0);
        }
    }

    @Test
    @DisplayName("RT-04 a retry with zero backoff is retry-ready at once and notifies the lane's ready channel")
    void zeroBackoffNotifies() {
        String lane = lane("rt04z");
        create(engine, CreateExecution.builder(lane).policy(retries(1, Backoff.fixed(Duration.ZERO))).build());
        ClaimedExecution claimed = claim(engine, lane, "w");

        try (ExecTestSupport.Listener ready = new ExecTestSupport.Listener(db, ExecTestSupport.readyChannel(lane))) {
            FailOutcome.RetryScheduled retry = (FailOutcome.RetryScheduled) failTransient(claimed, "again");
            assertThat(retry.nextAttemptIndex()).isEqualTo(1);
            assertThat(ready.countWithin(Duration.ofMillis(500))).isEqualTo(1);
        }
        ClaimedExecution again = claim(engine, lane, "w");
        assertThat(again.attemptType()).isEqualTo(AttemptType.RETRY);
    }

    @Test
    @DisplayName("RT-09 delay(30 s): released event, delayed / waiting_for_delay / attempt_interrupted, deadline kept; after 30 s and a promoter tick resumable; claim RESUMED on attempt 0 with a greater epoch")
    void workerDelay() {
        String lane = lane("rt09");
        ExecutionId id = create(engine, CreateExecution.builder(lane).deadlineAfter(Duration.ofHours(1)).build());
        long deadline = (Long) execRow(db, id, "deadline_at_ms").get("deadline_at_ms");
        ClaimedExecution first = claim(engine, lane, "w");

        Delayed delayed = await(engine.workers().delay(first.fence(), Duration.ofSeconds(30)));

        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "not_eligible_until_time",
                "waiting_for_delay", "attempt_interrupted", "none", "delayed");
        Map<String, Object> row = execRow(db, id, "delay_until_ms, deadline_at_ms, last_mutation_at_ms, lease_epoch,"
                + " current_lease_id, attempt_count");
        assertThat(row.get("delay_until_ms")).isEqualTo(delayed.delayUntil().toEpochMilli());
        assertThat((Long) row.get("delay_until_ms") - (Long) row.get("last_mutation_at_ms")).isEqualTo(30_000);
        assertThat(row.get("deadline_at_ms")).isEqualTo(deadline);
        assertThat(row.get("lease_epoch")).isEqualTo(2L);
        assertThat(row.get("current_lease_id")).isNull();
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "suspended").containsEntry("end_reason", null);
        assertThat(await(engine.workers().claim(claimRequest(lane, "w")))).isNull();

        clock.advance(Duration.ofSeconds(30));
        await(engine.reconcilers().tick("delayed_promoter"));

        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "attempt_interrupted", "none", "resumable");
        ClaimedExecution resumed = claim(engine, lane, "w");
        assertThat(resumed.executionId()).isEqualTo(id);
        assertThat(resumed.kind()).isEqualTo(HandleKind.RESUMED);
        assertThat(resumed.attemptIndex()).isZero();
        assertThat(resumed.attemptId()).isEqualTo(first.attemptId());
        assertThat(resumed.leaseEpoch()).isGreaterThan(first.leaseEpoch()).isEqualTo(3);
        assertThat(execRow(db, id, "attempt_count, deadline_at_ms"))
                .containsEntry("attempt_count", 1).containsEntry("deadline_at_ms", deadline);
        assertThat(ExecTestSupport.attemptCount(db, id)).isEqualTo(1);
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, lease_epoch"))
                .containsEntry("attempt_lifecycle", "started").containsEntry("lease_epoch", 3L);
        List<AttemptSnapshot> attempts = ExecTestSupport.awaitAll(engine.executions().listAttempts(id));
        assertThat(attempts).hasSize(1);
        assertThat(attempts.get(0).type()).isEqualTo(AttemptType.INITIAL);
    }

    @Test
    @DisplayName("RT-10 delay(0) yields: resumable at once with a ready notification; the next claim is RESUMED")
    void delayZero() {
        String lane = lane("rt10");
        ExecutionId id = create(engine, lane);
        ClaimedExecution first = claim(engine, lane, "w");

        try (ExecTestSupport.Listener ready = new ExecTestSupport.Listener(db, ExecTestSupport.readyChannel(lane))) {
            await(engine.workers().delay(first.fence(), Duration.ZERO));
            assertThat(ready.countWithin(Duration.ofMillis(500))).isEqualTo(1);
        }

        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "attempt_interrupted", "none", "resumable");
        assertThat(execRow(db, id, "delay_until_ms")).containsEntry("delay_until_ms", null);
        ClaimedExecution resumed = claim(engine, lane, "w");
        assertThat(resumed.kind()).isEqualTo(HandleKind.RESUMED);
        assertThat(resumed.attemptIndex()).isZero();
        assertThat(resumed.leaseEpoch()).isEqualTo(3);
    }
}
