package io.flowfabric.postgres.flows;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import io.flowfabric.postgres.executions.ExecRow;
import io.flowfabric.postgres.executions.TerminalTransition;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Flow cancel (spec 03 §10): the request transaction marks the flow cancelled, blocks the selected runnable members
 * at once, and records a backlog; the drain then cancels the members in transactions of at most 100 (locked in key
 * order), extending the backlog's grace while it works. A drain interrupted by a crash is finished on any node by the
 * {@code cancel_backlog} job once the grace has passed.
 */
final class FlowCancellation implements ReconcilerJob {

    private static final Logger LOG = LoggerFactory.getLogger(FlowCancellation.class);
    static final Duration MAX_WAIT = Duration.ofMinutes(5);
    static final int DRAIN_BATCH = 100;

    private static final String LOCK_FLOW = """
            SELECT namespace, instance_tag, public_flow_state, cancellation_policy, cancel_reason
            FROM {s}.ff_flow_core WHERE partition_key = $1 AND flow_id = $2 FOR UPDATE""";

    private static final String BACKLOG_MEMBERS = """
            SELECT execution_id FROM {s}.ff_cancel_backlog_member WHERE partition_key = $1 AND flow_id = $2
            ORDER BY execution_id""";

    private static final String REQUEST = """
            WITH f AS (
              UPDATE {s}.ff_flow_core SET public_flow_state = 'cancelled', terminal_at_ms = {s}.now_ms(),
                     cancellation_policy = $3, cancel_reason = $4, cancelled_by = $5, last_mutation_at_ms = {s}.now_ms()
              WHERE partition_key = $1 AND flow_id = $2
              RETURNING 1
            ), m AS (
              SELECT execution_id, lifecycle_phase FROM {s}.ff_exec_core
              WHERE partition_key = $1 AND flow_id = $2
                AND (($3 = 'cancel_all' AND lifecycle_phase IN ('runnable', 'active', 'suspended'))
                  OR ($3 = 'cancel_pending' AND lifecycle_phase = 'runnable'
                      AND attempt_state IN ('pending_first_attempt', 'pending_replay_attempt')))
              ORDER BY execution_id
              FOR NO KEY UPDATE
            ), blocked AS (
              UPDATE {s}.ff_exec_core x SET eligibility_state = 'blocked_by_operator',
                     blocking_reason = 'paused_by_flow_cancel', last_mutation_at_ms = {s}.now_ms()
              FROM m
              WHERE x.partition_key = $1 AND x.execution_id = m.execution_id AND m.lifecycle_phase = 'runnable'
              RETURNING 1
            ), h AS (
              INSERT INTO {s}.ff_cancel_backlog (partition_key, flow_id, policy, reason, requested_by,
                  requested_at_ms, grace_until_ms, member_total)
              SELECT $1, $2, $3, $4, $5, {s}.now_ms(), {s}.now_ms() + $6::bigint, count(*) FROM m
              HAVING count(*) > 0
              RETURNING 1
            ), b AS (
              INSERT INTO {s}.ff_cancel_backlog_member (partition_key, flow_id, execution_id)
              SELECT $1, $2, execution_id FROM m
              RETURNING 1
            ), ev AS (
              INSERT INTO {s}.ff_operator_event (partition_key, occurred_at_ms, namespace, instance_tag, subject_kind,
                  subject_id, event_type, actor, details)
              SELECT $1, {s}.now_ms(), $7, $8, 'flow', $9, 'flow_cancel_requested', $5,
                     jsonb_build_object('policy', $3::text, 'reason', $4::text, 'memberCount', (SELECT count(*) FROM m))
              RETURNING 1
            ), d AS (
              INSERT INTO {s}.ff_flow_dirty (partition_key, flow_id, marked_at_ms) VALUES ($1, $2, {s}.now_ms())
              ON CONFLICT DO NOTHING
              RETURNING 1
            )
            SELECT m.execution_id FROM m ORDER BY m.execution_id""";

    private static final String LOCK_BACKLOG = """
            UPDATE {s}.ff_cancel_backlog SET grace_until_ms = {s}.now_ms() + $3::bigint
            WHERE partition_key = $1 AND flow_id = $2
            RETURNING policy""";

    private static final String NEXT_MEMBERS = """
            SELECT execution_id FROM {s}.ff_cancel_backlog_member WHERE partition_key = $1 AND flow_id = $2
            ORDER BY execution_id LIMIT $3""";

    private static final String LOCK_MEMBERS = "SELECT " + ExecRow.COLUMNS + """

            FROM {s}.ff_exec_core e
            WHERE e.partition_key = $1 AND e.execution_id = ANY($2::uuid[])
            ORDER BY e.execution_id
            FOR NO KEY UPDATE""";

    private static final String DELETE_MEMBERS = """
            DELETE FROM {s}.ff_cancel_backlog_member
            WHERE partition_key = $1 AND flow_id = $2 AND execution_id = ANY($3::uuid[])""";

    private static final String DELETE_HEADER_IF_EMPTY = """
            DELETE FROM {s}.ff_cancel_backlog h
            WHERE h.partition_key = $1 AND h.flow_id = $2
              AND NOT EXISTS (SELECT 1 FROM {s}.ff_cancel_backlog_member m
                              WHERE m.partition_key = $1 AND m.flow_id = $2)
            RETURNING 1""";

    private static final String DUE_HEADERS = """
            SELECT partition_key, flow_id FROM {s}.ff_cancel_backlog
            WHERE grace_until_ms <= {s}.now_ms()
            ORDER BY grace_until_ms
            LIMIT $1
            FOR UPDATE SKIP LOCKED""";

    private final Database db;
    private final Channels channels;
    private final TerminalTransition terminal;
    private final long graceMs;
    private final String lockFlow;
    private final String backlogMembers;
    private final String request;
    private final String lockBacklog;
    private final String nextMembers;
    private final String lockMembers;
    private final String deleteMembers;
    private final String deleteHeaderIfEmpty;
    private final String dueHeaders;

    FlowCancellation(Database db, SqlTemplate sql, Channels channels, TerminalTransition terminal, Duration grace) {
        this.db = db;
        this.channels = channels;
        this.terminal = terminal;
        this.graceMs = grace.toMillis();
        this.lockFlow = sql.render(LOCK_FLOW);
        this.backlogMembers = sql.render(BACKLOG_MEMBERS);
        this.request = sql.render(REQUEST);
        this.lockBacklog = sql.render(LOCK_BACKLOG);
        this.nextMembers = sql.render(NEXT_MEMBERS);
        this.lockMembers = sql.render(LOCK_MEMBERS);
        this.deleteMembers = sql.render(DELETE_MEMBERS);
        this.deleteHeaderIfEmpty = sql.render(DELETE_HEADER_IF_EMPTY);
        this.dueHeaders = sql.render(DUE_HEADERS);
    }

    Mono<CancelFlow.Result> cancel(CancelFlow r) {
        return Mono.defer(() -> {
            if (r == null || r.flowId() == null || r.policy() == null) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "flow id and cancel policy are required"));
            }
            if (r.reason() != null) {
                InputRules.maxUtf8Bytes("reason", r.reason(), Limits.MAX_REASON_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            if (r.actor() != null) {
                InputRules.maxUtf8Bytes("actor", r.actor(), Limits.MAX_IDENTITY_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            Duration wait = r.waitFor() == null ? Duration.ZERO : r.waitFor();
            InputRules.durationInRange("waitFor", wait, Duration.ZERO, MAX_WAIT, ValidationException.Kind.INVALID_INPUT);
            int pk = r.flowId().partition();
            UUID flow = r.flowId().uuid();
            long started = System.nanoTime();
            return db.inTransactionOne("cancel_flow", tx -> requestLocked(tx, r, pk, flow))
                    .flatMap(result -> {
                        if (!(result instanceof CancelFlow.Result.Accepted accepted)
                                || accepted.memberIds().isEmpty()) {
                            return Mono.just(result);
                        }
                        Mono<Void> drain = drain(pk, flow);
                        if (wait.isZero()) {
                            drain.subscribe(v -> { }, e -> LOG.warn("flow cancel drain of {} failed; the "
                                    + "cancel_backlog job will finish it: {}", flow, e.toString()));
                            return Mono.just(result);
                        }
                        return drain
                                .then(Mono.just((CancelFlow.Result) new CancelFlow.Result.Accepted(accepted.policy(),
                                        accepted.memberIds(), "completed")))
                                .timeout(wait, Mono.error(() -> new TimeoutException("cancel_flow",
                                        Duration.ofNanos(System.nanoTime() - started))));
                    });
        });
    }

    private Mono<CancelFlow.Result> requestLocked(Tx tx, CancelFlow r, int pk, UUID flow) {
        return tx.queryOne(lockFlow, row -> new String[] {row.get("namespace", String.class),
                        row.get("instance_tag", String.class), row.get("public_flow_state", String.class),
                        row.get("cancellation_policy", String.class), row.get("cancel_reason", String.class)},
                        pk, flow)
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.FLOW,
                        "no flow " + r.flowId())))
                .flatMap(f -> {
                    if ("cancelled".equals(f[2])) {
                        return tx.query(backlogMembers, row -> ExecutionId.of(pk, row.get("execution_id", UUID.class))
                                        .toString(), pk, flow).collectList()
                                .map(remaining -> new CancelFlow.Result.AlreadyTerminal(
                                        CancelFlow.Policy.fromLiteral(f[3]), f[4], remaining));
                    }
                    tx.notifyOnCommit(channels.operator());
                    tx.notifyOnCommit(channels.flowCancel());
                    return tx.query(request, row -> ExecutionId.of(pk, row.get("execution_id", UUID.class)).toString(),
                                    pk, flow, r.policy().literal(), Bind.nullable(r.reason(), String.class),
                                    Bind.nullable(r.actor(), String.class), graceMs, f[0],
                                    Bind.nullable(f[1], String.class), r.flowId().toString())
                            .collectList()
                            .map(members -> new CancelFlow.Result.Accepted(r.policy(), members,
                                    members.isEmpty() ? "completed" : "requested"));
                });
    }

    /** Cancels every member left in the flow's backlog, batch by batch; completes when the backlog is gone. */
    Mono<Void> drain(int pk, UUID flow) {
        return Mono.defer(() -> db.inTransactionOne("cancel_flow_drain", tx -> drainBatch(tx, pk, flow)))
                .repeat()
                .takeUntil(remaining -> !remaining)
                .then();
    }

    /** Emits whether members remain after this batch. */
    private Mono<Boolean> drainBatch(Tx tx, int pk, UUID flow) {
        return tx.queryOne(lockBacklog, r -> r.get("policy", String.class), pk, flow, graceMs)
                .flatMap(policy -> tx.query(nextMembers, r -> r.get("execution_id", UUID.class), pk, flow,
                                DRAIN_BATCH).collectList()
                        .flatMap(ids -> tx.query(lockMembers, ExecRow::read, pk, ids.toArray(UUID[]::new))
                                .collectList()
                                // The whole batch in one statement (procedure T's set form).
                                .flatMap(rows -> terminal.applyAll(tx, pk, rows, TerminalTransition.Terminal.cancelled(
                                        "flow_cascade", "flow_cancelled", LeaseEventType.REVOKED)))
                                .then(tx.update(deleteMembers, pk, flow, ids.toArray(UUID[]::new)))
                                .then(tx.query(deleteHeaderIfEmpty, r -> 1, pk, flow).hasElements())
                                .map(deleted -> !deleted)))
                .defaultIfEmpty(false);
    }

    // ------------------------------------------------------------------------------------ cancel_backlog job

    @Override
    public String name() {
        return "cancel_backlog";
    }

    @Override
    public Duration defaultInterval() {
        return Duration.ofSeconds(5);
    }

    @Override
    public int batchSize() {
        return 10;
    }

    @Override
    public Mono<TickReport> runBatch() {
        long started = System.nanoTime();
        // Claim due headers by pushing their grace forward (a lease on the header), then drain each.
        return db.inTransaction(name(), tx -> tx.query(dueHeaders, r -> new Object[] {r.get("partition_key", Short.class),
                                r.get("flow_id", UUID.class)}, batchSize())
                        .concatMap(h -> tx.update(lockBacklog, h[0], h[1], graceMs).thenReturn(h)))
                .collectList()
                .flatMap(headers -> Flux.fromIterable(headers)
                        .concatMap(h -> drain(((Short) h[0]).intValue(), (UUID) h[1]).thenReturn(1)
                                .onErrorResume(e -> {
                                    LOG.warn("cancel_backlog drain of {} failed: {}", h[1], e.toString());
                                    return Mono.just(0);
                                }))
                        .reduce(0, Integer::sum)
                        .map(done -> new TickReport(name(), headers.size(), done, 0, headers.size() - done,
                                Duration.ofNanos(System.nanoTime() - started))));
    }
}
