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
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Completed;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.LeaseRenewal;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.lease.Handle;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.lease.LeaseFence;
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
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaseFencingTest {

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

    private static final String LEASE_COLUMNS = "lease_epoch, current_lease_id, lease_expires_at_ms,"
            + " last_mutation_at_ms, current_attempt_index, lifecycle_phase";

    @Test
    @DisplayName("LE-01 renew with TTL 60 s sets expiry = now + 60 s, keeps the epoch, writes one renewed event")
    void renew() {
        String lane = lane("le01");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");

        LeaseRenewal renewal = await(engine.workers().renew(claimed.fence(), Duration.ofSeconds(60)));

        Map<String, Object> row = execRow(db, id, LEASE_COLUMNS + ", lease_ttl_ms");
        assertThat(renewal.leaseEpoch()).isEqualTo(1);
        assertThat(row.get("lease_epoch")).isEqualTo(1L);
        long expires = (Long) row.get("lease_expires_at_ms");
        // last_mutation_at_ms is the renewing transaction's now_ms().
        assertThat(expires - (Long) row.get("last_mutation_at_ms")).isEqualTo(60_000);
        assertThat(renewal.leaseExpiresAt()).isEqualTo(Instant.ofEpochMilli(expires));
        assertThat(leaseEvents(db, id, "renewed")).isEqualTo(1);
        assertThat(leaseEvents(db, id)).isEqualTo(2);
        assertThat(db.queryValue("SELECT lease_expires_at_ms FROM flowfabric.ff_lease_event WHERE partition_key = ?"
                + " AND execution_id = ? AND event_type = 'renewed'", id.partition(), id.uuid())).contains(expires);
    }

    @Test
    @DisplayName("LE-01 renew without a TTL reuses the lease's own TTL")
    void renewDefaultTtl() {
        String lane = lane("le01b");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, claimRequest(lane, "w", Duration.ofSeconds(7)));

        await(engine.workers().renew(claimed.fence(), null));

        Map<String, Object> row = execRow(db, id, LEASE_COLUMNS);
        assertThat((Long) row.get("lease_expires_at_ms") - (Long) row.get("last_mutation_at_ms")).isEqualTo(7_000);
    }

    @Test
    @DisplayName("LE-02 renew with another lease id or a wrong epoch is STALE_LEASE; nothing changes; no event")
    void staleRenew() {
        String lane = lane("le02");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        Map<String, Object> before = execRow(db, id, LEASE_COLUMNS);
        LeaseFence otherLeaseId = new LeaseFence(id, 0, claimed.leaseEpoch(), LeaseId.random());
        LeaseFence wrongEpoch = new LeaseFence(id, 0, claimed.leaseEpoch() + 1, claimed.handle().leaseId());

        StateException first = catchThrowableOfType(
                () -> await(engine.workers().renew(otherLeaseId, Duration.ofSeconds(60))), StateException.class);
        StateException second = catchThrowableOfType(
                () -> await(engine.workers().renew(wrongEpoch, Duration.ofSeconds(60))), StateException.class);

        assertThat(first).isNotNull();
        assertThat(first.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(first.retryable()).isFalse();
        assertThat(second).isNotNull();
        assertThat(second.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(execRow(db, id, LEASE_COLUMNS)).isEqualTo(before);
        assertThat(leaseEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("LE-02 a fence naming an unknown execution is NotFound(EXECUTION); a fence with a wrong attempt index is STALE_LEASE")
    void unknownExecutionAndWrongAttempt() {
        String lane = lane("le02b");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");

        NotFoundException missing = catchThrowableOfType(() -> await(engine.workers().complete(
                new LeaseFence(ExecutionId.standalone(), 0, 1, LeaseId.random()), null, null)),
                NotFoundException.class);
        StateException wrongAttempt = catchThrowableOfType(() -> await(engine.workers().renew(
                new LeaseFence(id, 3, claimed.leaseEpoch(), claimed.handle().leaseId()), null)),
                StateException.class);

        assertThat(missing).isNotNull();
        assertThat(missing.entity()).isEqualTo(NotFoundException.Entity.EXECUTION);
        assertThat(wrongAttempt).isNotNull();
        assertThat(wrongAttempt.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(leaseEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("LE-03 renew after the lease expired on the database clock (no reconciler) is LEASE_EXPIRED; not extended")
    void renewExpired() {
        String lane = lane("le03");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, claimRequest(lane, "w", Duration.ofSeconds(1)));
        Map<String, Object> before = execRow(db, id, LEASE_COLUMNS);

        clock.advance(Duration.ofSeconds(2));
        StateException error = catchThrowableOfType(
                () -> await(engine.workers().renew(claimed.fence(), Duration.ofSeconds(60))), StateException.class);

        assertThat(error).isNotNull();
        assertThat(error.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        assertThat(execRow(db, id, LEASE_COLUMNS)).isEqualTo(before);
        assertThat(vector(db, id).get(6)).isEqualTo("active");
        assertThat(leaseEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("LE-04 a late complete by a holder whose lease expired and was reclaimed is LEASE_EXPIRED; B untouched; no completion event")
    void lateCompleteAfterReclaim() {
        String lane = lane("le04");
        ExecutionId id = create(engine, lane);
        ClaimedExecution a = claim(engine, claimRequest(lane, "worker-a", Duration.ofSeconds(1)));

        clock.advance(Duration.ofSeconds(2));
        await(engine.reconcilers().tick("lease_expiry"));
        assertThat(vector(db, id)).containsExactly("runnable", "lease_expired_reclaimable", "eligible_now",
                "waiting_for_worker", "attempt_interrupted", "none", "waiting");
        assertThat(leaseEvents(db, id, "expired")).isEqualTo(1);

        ClaimedExecution b = claim(engine, lane, "worker-b");
        assertThat(b.executionId()).isEqualTo(id);
        assertThat(b.kind()).isEqualTo(HandleKind.RECLAIMED);
        assertThat(b.attemptIndex()).isEqualTo(1);
        assertThat(b.attemptType()).isEqualTo(AttemptType.RECLAIM);
        assertThat(b.leaseEpoch()).isEqualTo(3);
        Map<String, Object> bLease = execRow(db, id, LEASE_COLUMNS + ", current_worker_id, lease_reclaim_count");
        String bAttempt = ExecTestSupport.attemptText(db, id, 1);

        StateException error = catchThrowableOfType(
                () -> await(engine.workers().complete(a.fence(), new byte[] {1}, null)), StateException.class);

        assertThat(error).isNotNull();
        assertThat(error.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        // Every other lease-holder write by A is refused the same way.
        List<Mono<?>> others = List.of(engine.workers().renew(a.fence(), null),
                engine.workers().progress(a.fence(), 50, "late"),
                engine.workers().fail(a.fence(), FailureReason.of("late"), FailureClass.TRANSIENT),
                engine.workers().cancel(a.fence(), "late"),
                engine.workers().delay(a.fence(), Duration.ofSeconds(1)));
        for (Mono<?> late : others) {
            StateException e = catchThrowableOfType(() -> await(late), StateException.class);
            assertThat(e).isNotNull();
            assertThat(e.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        }
        assertThat(execRow(db, id, LEASE_COLUMNS + ", current_worker_id, lease_reclaim_count")).isEqualTo(bLease);
        assertThat(bLease.get("current_worker_id")).isEqualTo("worker-b");
        assertThat(bLease.get("lease_reclaim_count")).isEqualTo(1);
        assertThat(ExecTestSupport.attemptText(db, id, 1)).isEqualTo(bAttempt);
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "interrupted_reclaimed").containsEntry("end_reason", "lease_expired");
        assertThat(completionEvents(db, id)).isZero();
        assertThat(leaseEvents(db, id, "reclaimed")).isEqualTo(1);

        // B still holds a working lease.
        assertThat(await(engine.workers().complete(b.fence(), null, null)))
                .isEqualTo(new Completed(PublicState.COMPLETED));
        assertThat(completionEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("LE-05 complete with bytes 0x00/0xFF: Completed, exact bytes, attempt ended_success, lease cleared, epoch 2, one completion and one released event")
    void completeBinary() {
        String lane = lane("le05");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        byte[] result = {0x00, (byte) 0xFF, 0x00, 0x7F, (byte) 0x80, (byte) 0xFF};

        Completed completed = await(engine.workers().complete(claimed.fence(), result, "application/octet-stream"));

        assertThat(completed).isEqualTo(new Completed(PublicState.COMPLETED));
        assertThat(vector(db, id)).containsExactly("terminal", "unowned", "not_applicable", "none",
                "attempt_terminal", "success", "completed");
        Map<String, Object> row = execRow(db, id, "result_payload, result_encoding, current_lease_id,"
                + " lease_expires_at_ms, lease_epoch, current_worker_id, terminal_at_ms");
        assertThat((byte[]) row.get("result_payload")).containsExactly(result);
        assertThat(row.get("result_encoding")).isEqualTo("application/octet-stream");
        assertThat(row.get("current_lease_id")).isNull();
        assertThat(row.get("lease_expires_at_ms")).isNull();
        assertThat(row.get("current_worker_id")).isNull();
        assertThat(row.get("terminal_at_ms")).isNotNull();
        assertThat(row.get("lease_epoch")).isEqualTo(2L);
        Payload payload = await(engine.executions().getExecutionResult(id)).orElseThrow();
        assertThat(payload.bytes()).containsExactly(result);
        assertThat(payload.encoding()).isEqualTo("application/octet-stream");
        assertThat(attemptRow(db, id, 0, "attempt_lifecycle, end_reason"))
                .containsEntry("attempt_lifecycle", "ended_success").containsEntry("end_reason", "completed");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(ExecTestSupport.completionEvents(db, id, "success")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
        assertThat(leaseEvents(db, id)).isEqualTo(2);
    }

    @Test
    @DisplayName("LE-06 a replayed complete by the same lease returns Completed, keeps the first result, writes no second event")
    void replayedComplete() {
        String lane = lane("le06");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        await(engine.workers().complete(claimed.fence(), new byte[] {1, 2, 3}, null));
        String after = ExecTestSupport.execText(db, id);

        Completed replay = await(engine.workers().complete(claimed.fence(), new byte[] {9, 9}, "text/plain"));

        assertThat(replay).isEqualTo(new Completed(PublicState.COMPLETED));
        assertThat(await(engine.executions().getExecutionResult(id)).orElseThrow().bytes()).containsExactly(1, 2, 3);
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
        assertThat(ExecTestSupport.execText(db, id)).isEqualTo(after);
    }

    @Test
    @DisplayName("LE-07 complete after a terminal fail by the same lease is EXECUTION_NOT_ACTIVE with lifecycle terminal, outcome failed")
    void completeAfterFail() {
        String lane = lane("le07");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        FailOutcome failed = await(engine.workers().fail(claimed.fence(), FailureReason.of("boom"),
                FailureClass.PERMANENT));
        assertThat(failed).isEqualTo(new FailOutcome.TerminalFailed());

        StateException error = catchThrowableOfType(
                () -> await(engine.workers().complete(claimed.fence(), null, null)), StateException.class);

        assertThat(error).isNotNull();
        assertThat(error.kind()).isEqualTo(StateException.Kind.EXECUTION_NOT_ACTIVE);
        assertThat(error.details()).containsEntry("lifecycle", "terminal").containsEntry("outcome", "failed");
        assertThat(completionEvents(db, id)).isEqualTo(1);
        assertThat(ExecTestSupport.completionEvents(db, id, "failed")).isEqualTo(1);
        assertThat(vector(db, id).get(6)).isEqualTo("failed");
    }

    @Test
    @DisplayName("LE-08 fail(TRANSIENT) replayed by the same lease returns the same RetryScheduled; retry_count 1; one ended attempt")
    void replayedFail() {
        String lane = lane("le08");
        ExecutionPolicy policy = ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(3).backoff(Backoff.fixed(Duration.ofSeconds(5))).build())
                .build();
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(policy).build());
        ClaimedExecution claimed = claim(engine, lane, "w");

        FailOutcome first = await(engine.workers().fail(claimed.fence(), FailureReason.of("flaky"),
                FailureClass.TRANSIENT));
        String after = ExecTestSupport.execText(db, id);
        FailOutcome second = await(engine.workers().fail(claimed.fence(), FailureReason.of("flaky again"),
                FailureClass.TRANSIENT));

        assertThat(first).isInstanceOf(FailOutcome.RetryScheduled.class);
        assertThat(((FailOutcome.RetryScheduled) first).nextAttemptIndex()).isEqualTo(1);
        assertThat(second).isEqualTo(first);
        assertThat(execRow(db, id, "retry_count, last_failure_message"))
                .containsEntry("retry_count", 1).containsEntry("last_failure_message", "flaky");
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_attempt WHERE partition_key = ?"
                + " AND execution_id = ? AND ended_at_ms IS NOT NULL", id.partition(), id.uuid())).isEqualTo(1);
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
        assertThat(completionEvents(db, id)).isZero();
        assertThat(ExecTestSupport.execText(db, id)).isEqualTo(after);
    }

    @Test
    @DisplayName("LE-08 cancel by the lease holder replayed returns Cancelled without a second event")
    void replayedCancel() {
        String lane = lane("le08c");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");

        await(engine.workers().cancel(claimed.fence(), "not needed"));
        await(engine.workers().cancel(claimed.fence(), "not needed"));

        assertThat(vector(db, id).get(6)).isEqualTo("cancelled");
        assertThat(execRow(db, id, "cancelled_by, cancellation_reason"))
                .containsEntry("cancelled_by", "lease_holder").containsEntry("cancellation_reason", "not needed");
        assertThat(ExecTestSupport.completionEvents(db, id, "cancelled")).isEqualTo(1);
        assertThat(leaseEvents(db, id, "released")).isEqualTo(1);
    }

    @Test
    @DisplayName("LE-09 progress 25 % then 75 %: describe shows 75 and the last message, no events; a stale handle is STALE_LEASE")
    void progress() {
        String lane = lane("le09");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");

        await(engine.workers().progress(claimed.fence(), 25, "a quarter"));
        await(engine.workers().progress(claimed.fence(), 75, "three quarters"));
        Map<String, Object> before = execRow(db, id, "progress_pct, progress_message, progress_at_ms");
        StateException stale = catchThrowableOfType(() -> await(engine.workers().progress(
                new LeaseFence(id, 0, claimed.leaseEpoch(), LeaseId.random()), 99, "stale")), StateException.class);

        ExecutionSnapshot snapshot = await(engine.executions().describeExecution(id)).orElseThrow();
        assertThat(snapshot.progress()).isNotNull();
        assertThat(snapshot.progress().percent()).isEqualTo(75);
        assertThat(snapshot.progress().message()).isEqualTo("three quarters");
        assertThat(before).containsEntry("progress_pct", 75).containsEntry("progress_message", "three quarters");
        assertThat(leaseEvents(db, id)).isEqualTo(1);
        assertThat(stale).isNotNull();
        assertThat(stale.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(execRow(db, id, "progress_pct, progress_message, progress_at_ms")).isEqualTo(before);
    }

    @Test
    @DisplayName("LE-10 handle round trip (bytes and base64url) through a claim; backend tag 0x01, trailing byte; no fence is FENCE_REQUIRED")
    void handleCodec() {
        String lane = lane("le10");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        Handle handle = claimed.handle();

        byte[] bytes = handle.encode();
        Handle fromBytes = Handle.decode(bytes, HandleKind.FRESH);
        String text = handle.toText();
        Handle fromText = Handle.fromText(text, HandleKind.FRESH);

        assertThat(fromBytes).isEqualTo(handle);
        assertThat(fromText).isEqualTo(handle);
        assertThat(fromBytes.encode()).containsExactly(bytes);
        assertThat(text).isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        assertThat(text).doesNotContain("=", "+", "/");

        byte[] otherBackend = bytes.clone();
        otherBackend[2] = 0x01;
        ValidationException other = catchThrowableOfType(() -> Handle.decode(otherBackend, HandleKind.FRESH),
                ValidationException.class);
        assertThat(other.kind()).isEqualTo(ValidationException.Kind.HANDLE_FROM_OTHER_BACKEND);
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 1);
        ValidationException corrupt = catchThrowableOfType(() -> Handle.decode(trailing, HandleKind.FRESH),
                ValidationException.class);
        assertThat(corrupt.kind()).isEqualTo(ValidationException.Kind.CORRUPT_HANDLE);

        StepVerifier.create(engine.workers().complete(null, null, null))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ValidationException.class,
                        v -> assertThat(v.kind()).isEqualTo(ValidationException.Kind.FENCE_REQUIRED)))
                .verify(ExecTestSupport.TIMEOUT);
        assertThat(vector(db, id).get(6)).isEqualTo("active");

        // The decoded handle is as good as the original.
        assertThat(await(engine.workers().complete(fromText.fence(), null, null)))
                .isEqualTo(new Completed(PublicState.COMPLETED));
        assertThat(completionEvents(db, id)).isEqualTo(1);
    }
}
