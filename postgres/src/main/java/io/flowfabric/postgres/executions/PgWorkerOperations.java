package io.flowfabric.postgres.executions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ChildrenOutcome;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Completed;
import io.flowfabric.core.execution.Delayed;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.LeaseRenewal;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.spi.WorkerOperations;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import io.flowfabric.postgres.metrics.EngineMetrics;
import io.flowfabric.postgres.notify.Waiter;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.GroupCommit;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Claims and lease-holder operations on PostgreSQL (spec 02 §4–§5). */
final class PgWorkerOperations implements WorkerOperations {

    private static final Duration MAX_LEASE_TTL = Duration.ofHours(1);
    private static final Duration MIN_LEASE_TTL = Duration.ofSeconds(1);
    private static final Duration MAX_WAIT = Duration.ofMinutes(5);
    private static final Duration MAX_DELAY = Duration.ofDays(30);
    private static final int MAX_BATCH = 100;
    private static final int MAX_LANES = 16;
    /** Completes in one statement at most (the statement's arrays grow with it; 64 amortises the fixed cost). */
    private static final int MAX_GROUPED_COMPLETES = 64;
    /** Result bytes in one grouped statement at most; a larger result is completed alone. */
    private static final long MAX_GROUPED_RESULT_BYTES = 1 << 20;

    private static final String RENEW = """
            WITH e AS (
              UPDATE {s}.ff_exec_core SET lease_expires_at_ms = {s}.now_ms() + $3::bigint,
                     last_mutation_at_ms = {s}.now_ms()
              WHERE partition_key = $1 AND execution_id = $2
              RETURNING partition_key, execution_id, namespace, instance_tag, current_attempt_index, lease_epoch,
                        current_worker_id, current_worker_instance_id, lease_expires_at_ms
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms,
                  reason, lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, e.lease_epoch, 'renewed', e.current_worker_id,
                     e.current_worker_instance_id, e.lease_expires_at_ms, NULL, $4
              FROM e
              RETURNING 1
            )
            SELECT e.lease_expires_at_ms, e.lease_epoch FROM e""";

    private static final String PROGRESS = """
            UPDATE {s}.ff_exec_core SET progress_pct = coalesce($3, progress_pct),
                   progress_message = coalesce($4, progress_message), progress_at_ms = {s}.now_ms(),
                   last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND execution_id = $2""";

    private static final String EDGE_GROUP = """
            SELECT group_state, staged_count, success_count, failed_count, skipped_count
            FROM {s}.ff_edge_group
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3""";

    private final ExecutionSettings settings;
    private final Database db;
    private final EngineMetrics metrics;
    private final LeaseFenceCheck fences;
    private final TerminalTransition terminal;
    private final PauseTransition pause;
    private final RetryTransition retry;
    private final ClaimStatement claim;
    private final String renewSql;
    private final String progressSql;
    private final String edgeGroupSql;
    private final GroupCommit<TerminalTransition.FencedResult, Completed> completions;

    PgWorkerOperations(ExecutionSettings settings, EngineMetrics metrics, LeaseFenceCheck fences,
                       TerminalTransition terminal, PauseTransition pause, RetryTransition retry) {
        this.settings = settings;
        this.db = settings.database();
        this.metrics = metrics;
        this.fences = fences;
        this.terminal = terminal;
        this.pause = pause;
        this.retry = retry;
        this.claim = new ClaimStatement(settings.sql());
        this.renewSql = settings.sql().render(RENEW);
        this.progressSql = settings.sql().render(PROGRESS);
        this.edgeGroupSql = settings.sql().render(EDGE_GROUP);
        this.completions = new GroupCommit<>(settings.groupCommitInFlight(), MAX_GROUPED_COMPLETES,
                MAX_GROUPED_RESULT_BYTES, item -> item.fence().executionId(),
                item -> item.result() == null ? 0 : item.result().length,
                this::completeOne, this::classifyComplete, this::completeMany);
    }

    // ---------------------------------------------------------------- claiming

    private record ValidClaim(List<String> lanes, List<String> capabilities, long leaseTtlMs, Duration maxWait,
                              String workerId, String workerInstanceId) {
    }

    private static ValidClaim validate(ClaimRequest request) {
        if (request.lanes().isEmpty() || request.lanes().size() > MAX_LANES) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "a claim names 1.." + MAX_LANES + " lanes, got " + request.lanes().size());
        }
        request.lanes().forEach(InputRules::lane);
        InputRules.workerId("workerId", request.workerId());
        InputRules.workerId("workerInstanceId", request.workerInstanceId());
        // A worker's offer is limited by count only (09 §4); the byte total applies to required capabilities.
        List<String> capabilities = InputRules.workerCapabilities(request.capabilities());
        Duration ttl = request.effectiveLeaseTtl();
        InputRules.durationInRange("leaseTtl", ttl, MIN_LEASE_TTL, MAX_LEASE_TTL,
                ValidationException.Kind.INVALID_INPUT);
        Duration maxWait = request.effectiveMaxWait();
        InputRules.durationInRange("maxWait", maxWait, Duration.ZERO, MAX_WAIT, ValidationException.Kind.INVALID_INPUT);
        return new ValidClaim(List.copyOf(new java.util.LinkedHashSet<>(request.lanes())), capabilities,
                ttl.toMillis(), maxWait, request.workerId(), request.workerInstanceId());
    }

    private static void validateBatch(int n) {
        if (n < 1 || n > MAX_BATCH) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "claim batch size must be 1.." + MAX_BATCH + ", got " + n);
        }
    }

    @Override
    public Mono<ClaimedExecution> claim(ClaimRequest request) {
        return claimBatch(request, 1).next();
    }

    @Override
    public Flux<ClaimedExecution> claimBatch(ClaimRequest request, int n) {
        return claimBatch(request, n, Mono.never());
    }

    @Override
    public Flux<ClaimedExecution> claimBatch(ClaimRequest request, int n, Publisher<?> stopWaiting) {
        return Mono.fromCallable(() -> {
            validateBatch(n);
            return validate(request);
        }).flatMapMany(valid -> {
            if (valid.maxWait().isZero()) {
                return claimOnce(valid, n);
            }
            long deadline = System.nanoTime() + valid.maxWait().toNanos();
            List<String> channels = valid.lanes().stream().map(settings.channels()::ready).toList();
            // Stopping only ever ends a wait: a statement already sent runs to its end and its rows are emitted.
            Mono<Boolean> stop = Mono.from(stopWaiting).then(Mono.just(Boolean.TRUE));
            // A busy lane answers the first attempt: no LISTEN round trip on the hot path. Only an empty attempt
            // leads to the wait, and then the lanes' ready channels are armed before the next attempt, so an
            // execution made eligible between that attempt and the wait still wakes us; while parked no pooled
            // connection is held.
            return claimOnce(valid, n).collectList().flatMapMany(first -> !first.isEmpty()
                    ? Flux.fromIterable(first)
                    : Flux.usingWhen(Waiter.arm(settings.hub(), channels),
                            waiter -> claimUntil(valid, n, deadline, waiter, stop),
                            waiter -> Mono.fromRunnable(waiter::dispose)));
        });
    }

    /** Claims, and while nothing is found waits and claims again, until the deadline or until {@code stop} emits. */
    private Flux<ClaimedExecution> claimUntil(ValidClaim c, int n, long deadlineNanos, Waiter waiter,
                                              Mono<Boolean> stop) {
        return claimOnce(c, n).collectList().flatMapMany(claimed -> {
            long remaining = deadlineNanos - System.nanoTime();
            if (!claimed.isEmpty() || remaining <= 0) {
                return Flux.fromIterable(claimed);
            }
            long wait = Math.min(remaining, settings.claimPollInterval().toNanos());
            // The wait races the stop signal (true); a wake cancels the stop subscription and the reverse unparks
            // the waiter.
            return Mono.firstWithSignal(waiter.await(Duration.ofNanos(wait)).thenReturn(Boolean.FALSE), stop)
                    .flatMapMany(stopped -> stopped ? Flux.empty()
                            : claimUntil(c, n, deadlineNanos, waiter, stop));
        });
    }

    private Flux<ClaimedExecution> claimOnce(ValidClaim c, int n) {
        List<String> notify = settings.notifyLeaseEvents() ? List.of(settings.channels().lease()) : List.of();
        return db.autocommit("claim", tx -> claim.run(tx, c.lanes(), c.capabilities(), n, c.leaseTtlMs(),
                        c.workerId(), c.workerInstanceId(), notify))
                .collectList()
                .doOnNext(list -> metrics.claimBatch(list.size()))
                .flatMapIterable(list -> list);
    }

    // ---------------------------------------------------------------- lease holder

    @Override
    public Mono<LeaseRenewal> renew(@Nullable LeaseFence fence, @Nullable Duration ttl) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            if (ttl != null) {
                InputRules.durationInRange("ttl", ttl, MIN_LEASE_TTL, MAX_LEASE_TTL,
                        ValidationException.Kind.INVALID_INPUT);
            }
            return db.inTransactionOne("renew", tx -> fences.check(tx, f, Set.of()).flatMap(outcome -> {
                ExecRow row = outcome.row();
                long ttlMs = ttl != null ? ttl.toMillis() : row.leaseTtlMs() == null ? 30_000 : row.leaseTtlMs();
                if (settings.notifyLeaseEvents()) {
                    tx.notifyOnCommit(settings.channels().lease());
                }
                return tx.queryOne(renewSql,
                        r -> new LeaseRenewal(Instant.ofEpochMilli(r.get("lease_expires_at_ms", Long.class)),
                                r.get("lease_epoch", Long.class)),
                        row.id().partition(), row.id().uuid(), ttlMs, f.leaseId().fingerprint());
            }));
        });
    }

    @Override
    public Mono<Void> progress(@Nullable LeaseFence fence, @Nullable Integer percent, @Nullable String message) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            if (percent != null && (percent < 0 || percent > 100)) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "progress percent must be 0..100, got " + percent);
            }
            if (message != null) {
                InputRules.maxUtf8Bytes("progress message", message, Limits.MAX_PROGRESS_MESSAGE_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            return db.inTransactionOne("progress", tx -> fences.check(tx, f, Set.of())
                    .flatMap(outcome -> tx.update(progressSql, f.executionId().partition(), f.executionId().uuid(),
                            Bind.nullable(percent == null ? null : percent.shortValue(), Short.class),
                            Bind.nullable(message, String.class)))
                    .then(Mono.empty()));
        }).then();
    }

    @Override
    public Mono<Completed> complete(@Nullable LeaseFence fence, byte @Nullable [] result, @Nullable String encoding) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            if (result != null) {
                InputRules.maxBytes("result", result.length, settings.maxResultBytes());
            }
            String enc = encoding == null ? (result == null ? null : "binary") : encoding;
            if (enc != null) {
                InputRules.encoding(enc);
            }
            return completions.submit(new TerminalTransition.FencedResult(f, result, enc));
        });
    }

    /** One complete on its own (see {@link #endFenced}). */
    private Mono<Completed> completeOne(TerminalTransition.FencedResult item) {
        return endFenced("complete", item.fence(), success(item), "completed", PublicState.COMPLETED)
                .map(Completed::new);
    }

    /** A complete whose fence did not pass in a grouped statement: the full check of {@link #endClassified}. */
    private Mono<Completed> classifyComplete(TerminalTransition.FencedResult item) {
        return endClassified("complete", item.fence(), success(item), "completed", PublicState.COMPLETED)
                .map(Completed::new);
    }

    private static TerminalTransition.Terminal success(TerminalTransition.FencedResult item) {
        return TerminalTransition.Terminal.success(item.result(), item.encoding());
    }

    /**
     * A lease holder's terminal transition (complete, cancel). Hot path: fence check and transition in one autocommit
     * statement. When the fence does not pass, nothing was written and {@link #endClassified} decides.
     */
    private Mono<PublicState> endFenced(String unit, LeaseFence fence, TerminalTransition.Terminal t,
                                        String endReason, PublicState replayState) {
        return db.<PublicState>autocommitOne(unit, tx -> terminal.applyFenced(tx, fence, t))
                .switchIfEmpty(Mono.defer(() -> endClassified(unit, fence, t, endReason, replayState)));
    }

    /**
     * The full fence check of a terminal transition whose fenced statement wrote nothing: an error, a replay of the
     * same lease's earlier {@code endReason} (emits {@code replayState}), or the transition after all.
     */
    private Mono<PublicState> endClassified(String unit, LeaseFence fence, TerminalTransition.Terminal t,
                                            String endReason, PublicState replayState) {
        return db.inTransactionOne(unit, tx -> fences.check(tx, fence, Set.of(endReason))
                .flatMap(outcome -> outcome.isReplay()
                        ? Mono.just(replayState)
                        : terminal.apply(tx, outcome.row(), t)));
    }

    /** Several completes in one statement (see {@link GroupCommit}): the executions it ended, by id. */
    private Mono<Map<io.flowfabric.core.id.ExecutionId, Completed>> completeMany(List<TerminalTransition.FencedResult> items) {
        TerminalTransition.Terminal success = TerminalTransition.Terminal.success(null, null);
        return db.autocommit("complete_batch", tx -> terminal.applyFencedAll(tx, items, success))
                .collectMap(TerminalTransition.Ended::id, ended -> new Completed(ended.state()));
    }

    @Override
    public Mono<FailOutcome> fail(@Nullable LeaseFence fence, FailureReason reason, FailureClass failureClass) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            validateReason(reason);
            if (failureClass == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "failure class is required");
            }
            return db.inTransactionOne("fail", tx -> fences.check(tx, f, Set.of("failed", "retry_scheduled"))
                    .flatMap(outcome -> outcome.isReplay()
                            ? Mono.just(recordedFailure(outcome.replay()))
                            : failLocked(tx, outcome.row(), reason, failureClass)));
        });
    }

    private static void validateReason(@Nullable FailureReason reason) {
        if (reason == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "failure reason is required");
        }
        if (reason.message() != null) {
            InputRules.maxUtf8Bytes("failure message", reason.message(), Limits.MAX_FAILURE_MESSAGE_BYTES,
                    ValidationException.Kind.LIMIT_EXCEEDED);
        }
        if (reason.detail() != null) {
            InputRules.maxUtf8Bytes("failure detail", reason.detail(), Limits.MAX_FAILURE_DETAIL_BYTES,
                    ValidationException.Kind.LIMIT_EXCEEDED);
        }
        if (reason.category() != null) {
            InputRules.maxUtf8Bytes("failure category", reason.category(), Limits.MAX_FAILURE_CATEGORY_BYTES,
                    ValidationException.Kind.LIMIT_EXCEEDED);
        }
    }

    private Mono<FailOutcome> failLocked(Tx tx, ExecRow row, FailureReason reason, FailureClass cls) {
        ExecutionPolicy policy = ExecutionPolicy.fromJson(row.policyJson());
        ObjectNode detail = JsonText.object();
        detail.put("message", reason.message());
        detail.put("detail", reason.detail());
        detail.put("category", reason.category());
        detail.put("failureClass", cls.name());
        if (policy.retry().shouldRetry(cls, row.retryCount())) {
            long delayMs = policy.retry().backoff().delayFor(row.retryCount()).toMillis();
            detail.put("outcome", "retry_scheduled");
            return retry.apply(tx, row, delayMs, reason.message(), reason.category(), EndReason.RETRY_SCHEDULED,
                    LeaseEventType.RELEASED, JsonText.write(detail));
        }
        detail.put("outcome", "failed");
        return terminal.apply(tx, row, TerminalTransition.Terminal.failed(EndReason.FAILED, LeaseEventType.RELEASED,
                        reason.message(), reason.category(), JsonText.write(detail)))
                .thenReturn(new FailOutcome.TerminalFailed());
    }

    private static FailOutcome recordedFailure(LeaseFenceCheck.EndedAttempt ended) {
        if ("failed".equals(ended.endReason())) {
            return new FailOutcome.TerminalFailed();
        }
        ObjectNode detail = JsonText.readObject(ended.endDetailJson());
        return new FailOutcome.RetryScheduled(detail.path("nextAttemptIndex").asInt(),
                Instant.ofEpochMilli(detail.path("retryAtMs").asLong()));
    }

    @Override
    public Mono<Cancelled> cancel(@Nullable LeaseFence fence, @Nullable String reason) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            if (reason != null) {
                InputRules.maxUtf8Bytes("cancel reason", reason, Limits.MAX_REASON_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            TerminalTransition.Terminal cancelled = TerminalTransition.Terminal.cancelled("lease_holder", reason,
                    LeaseEventType.RELEASED);
            return endFenced("cancel", f, cancelled, "cancelled", PublicState.CANCELLED).map(Cancelled::new);
        });
    }

    @Override
    public Mono<Delayed> delay(@Nullable LeaseFence fence, Duration duration) {
        return LeaseFenceCheck.require(fence).flatMap(f -> {
            if (duration == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "delay duration is required");
            }
            InputRules.durationInRange("delay", duration, Duration.ZERO, MAX_DELAY,
                    ValidationException.Kind.INVALID_INPUT);
            return db.inTransactionOne("delay", tx -> fences.check(tx, f, Set.of())
                    .flatMap(outcome -> pause.apply(tx, outcome.row(), PauseTransition.Target.DELAY,
                            duration.toMillis(), "delayed"))
                    .map(p -> new Delayed(Instant.ofEpochMilli(p.untilMs()))));
        });
    }

    @Override
    public Mono<ChildrenOutcome> waitChildren(@Nullable LeaseFence fence) {
        return LeaseFenceCheck.require(fence).flatMap(f -> db.inTransactionOne("wait_children",
                tx -> fences.check(tx, f, Set.of()).flatMap(outcome -> {
                    ExecRow row = outcome.row();
                    if (row.flowId() == null) {
                        return Mono.just(new ChildrenOutcome.NoChildren());
                    }
                    return tx.queryOne(edgeGroupSql, r -> new EdgeGroup(r.get("group_state", String.class),
                                            new ChildrenOutcome.EdgeCounts(
                                                    r.get("staged_count", Integer.class),
                                                    r.get("success_count", Integer.class),
                                                    r.get("failed_count", Integer.class),
                                                    r.get("skipped_count", Integer.class))),
                                    row.id().partition(), row.flowId(), row.id().uuid())
                            .flatMap(group -> childrenOutcome(tx, row, group))
                            .defaultIfEmpty(new ChildrenOutcome.NoChildren());
                })));
    }

    private record EdgeGroup(String state, ChildrenOutcome.EdgeCounts counts) {
    }

    private Mono<ChildrenOutcome> childrenOutcome(Tx tx, ExecRow row, EdgeGroup group) {
        if (group.counts().staged() == 0) {
            return Mono.just(new ChildrenOutcome.NoChildren());
        }
        return switch (group.state()) {
            case "satisfied" -> Mono.just(new ChildrenOutcome.Satisfied(group.counts()));
            case "impossible" -> Mono.just(new ChildrenOutcome.Impossible(group.counts()));
            default -> pause.apply(tx, row, PauseTransition.Target.WAIT_CHILDREN, 0, "waiting_for_children")
                    .thenReturn(new ChildrenOutcome.Waiting());
        };
    }
}
