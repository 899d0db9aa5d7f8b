package io.flowfabric.postgres.executions;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.nio.ByteBuffer;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Internal. Procedure T of spec 02 §1: the one way an execution becomes terminal. One statement, on a row the caller has
 * already locked (and described by {@link ExecRow}): ends the lease with an epoch bump and a lease event when one is
 * held, ends the running or paused attempt, deletes the suspension and closes waitpoints, writes the terminal
 * vector, deletes unredeemed grants, inserts exactly one completion event and marks the flow dirty. An event without
 * a flow has nothing to dispatch and is written already dispatched. The caller's
 * transaction notifies the completion (and lease) channels on commit.
 */
public final class TerminalTransition {

    /**
     * What to write.
     *
     * @param leaseEnd        the lease event type if a lease is held ({@code released}, {@code revoked},
     *                        {@code expired}); ignored when none is held
     * @param resultBytes     the result to store (success only); {@code null} keeps none
     * @param endDetailJson   recorded on the ended attempt (failure details, for replays)
     */
    public record Terminal(TerminalOutcome outcome, EndReason endReason, LeaseEventType leaseEnd,
                    byte @Nullable [] resultBytes, @Nullable String resultEncoding,
                    @Nullable String cancelledBy, @Nullable String cancellationReason,
                    @Nullable String failureMessage, @Nullable String failureCategory,
                    @Nullable String endDetailJson) {

        public static Terminal success(byte @Nullable [] result, @Nullable String encoding) {
            return new Terminal(TerminalOutcome.SUCCESS, EndReason.COMPLETED, LeaseEventType.RELEASED, result,
                    encoding, null, null, null, null, "{\"outcome\":\"completed\"}");
        }

        public static Terminal cancelled(String by, @Nullable String reason, LeaseEventType leaseEnd) {
            return new Terminal(TerminalOutcome.CANCELLED, EndReason.CANCELLED, leaseEnd, null, null, by, reason,
                    null, null, "{\"outcome\":\"cancelled\"}");
        }

        /** A downstream whose dependencies became impossible (03 §7). */
        public static Terminal skipped() {
            return new Terminal(TerminalOutcome.SKIPPED, EndReason.SKIPPED, LeaseEventType.REVOKED, null, null, null,
                    null, null, null, "{\"outcome\":\"skipped\"}");
        }

        public static Terminal failed(EndReason endReason, LeaseEventType leaseEnd, @Nullable String message,
                               @Nullable String category, String endDetailJson) {
            return new Terminal(TerminalOutcome.FAILED, endReason, leaseEnd, null, null, null, null, message,
                    category, endDetailJson);
        }
    }

    /**
     * Procedure T as one statement over the rows the {@code {rows}} part selects and locks into {@code o} (with each
     * row's cancellation reason, lease fingerprint and result), and the {@code {result}} it returns. The old lease values come
     * from {@code o}: UPDATE ... RETURNING only sees new values. $16 is notified when a flow member ended (the
     * dispatcher's wake-up), the channels in $15 whenever a row ended.
     */
    private static final String SQL = """
            WITH {rows}, e AS (
              UPDATE {s}.ff_exec_core x SET
                lifecycle_phase = 'terminal', ownership_state = 'unowned', eligibility_state = 'not_applicable',
                blocking_reason = 'none', blocking_detail = NULL,
                attempt_state = CASE WHEN x.attempt_count > 0 THEN 'attempt_terminal' ELSE 'none' END,
                terminal_outcome = $3, terminal_at_ms = {s}.now_ms(), last_mutation_at_ms = {s}.now_ms(),
                lease_epoch = x.lease_epoch + CASE WHEN x.current_lease_id IS NULL THEN 0 ELSE 1 END,
                current_lease_id = NULL, lease_expires_at_ms = NULL, lease_ttl_ms = NULL, lease_granted_at_ms = NULL,
                current_worker_id = NULL, current_worker_instance_id = NULL,
                delay_until_ms = NULL, deadline_at_ms = NULL, attempt_deadline_at_ms = NULL,
                reserved_until_ms = NULL, reserved_grant_id = NULL, current_suspension_id = NULL,
                result_payload = o.result_payload, result_encoding = o.result_encoding,
                cancelled_by = coalesce($6, x.cancelled_by),
                cancellation_reason = coalesce(o.reason, x.cancellation_reason),
                last_failure_message = coalesce($8, x.last_failure_message),
                last_failure_category = coalesce($9, x.last_failure_category)
              FROM o
              WHERE x.partition_key = o.partition_key AND x.execution_id = o.execution_id
              RETURNING x.partition_key, x.execution_id, x.namespace, x.instance_tag, x.flow_id,
                        x.current_attempt_index, x.public_state, o.lease_epoch AS old_epoch,
                        o.current_lease_id AS old_lease, o.current_worker_id AS old_worker,
                        o.current_worker_instance_id AS old_instance, o.lease_expires_at_ms AS old_expires,
                        o.lease_granted_at_ms AS old_granted, o.fingerprint
            ), a AS (
              UPDATE {s}.ff_attempt t SET
                attempt_lifecycle = $10, end_reason = $11, ended_at_ms = {s}.now_ms(), end_detail = $12::jsonb,
                active_ms = t.active_ms + CASE WHEN t.attempt_lifecycle = 'started' AND e.old_granted IS NOT NULL
                                               THEN greatest(0, {s}.now_ms() - e.old_granted) ELSE 0 END
              FROM e
              WHERE t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                AND t.attempt_index = e.current_attempt_index AND t.attempt_lifecycle IN ('started', 'suspended')
              RETURNING 1
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms, reason,
                  lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, e.old_epoch, $13, e.old_worker, e.old_instance, e.old_expires, $11,
                     e.fingerprint
              FROM e WHERE e.old_lease IS NOT NULL AND $13::text IS NOT NULL
              ORDER BY e.execution_id
              RETURNING 1
            ), ce AS (
              INSERT INTO {s}.ff_completion_event (partition_key, occurred_at_ms, namespace, instance_tag,
                  execution_id, flow_id, outcome, attempt_index, dispatched_at_ms)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id, e.flow_id, $3,
                     e.current_attempt_index, CASE WHEN e.flow_id IS NULL THEN {s}.now_ms() END
              FROM e
              ORDER BY e.execution_id
              RETURNING 1
            ), s AS (
              DELETE FROM {s}.ff_suspension x USING e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id
              RETURNING 1
            ), w AS (
              UPDATE {s}.ff_waitpoint x SET state = 'closed', closed_at_ms = {s}.now_ms(), closed_reason = $11
              FROM e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id AND x.state <> 'closed'
              RETURNING 1
            ), g AS (
              DELETE FROM {s}.ff_claim_grant x USING e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id
              RETURNING 1
            ), fd AS (
              INSERT INTO {s}.ff_flow_dirty (partition_key, flow_id, marked_at_ms)
              SELECT DISTINCT e.partition_key, e.flow_id, {s}.now_ms() FROM e WHERE e.flow_id IS NOT NULL
              ON CONFLICT DO NOTHING
              RETURNING 1
            ), n AS (
              SELECT pg_notify(c, '') FROM unnest($15::text[]) AS c WHERE EXISTS (SELECT 1 FROM e)
              UNION ALL
              SELECT pg_notify($16, '') WHERE EXISTS (SELECT 1 FROM e WHERE e.flow_id IS NOT NULL)
            )
            {result}""";

    /** The {@code o} of one row: {@code {fence}} is empty (the caller has locked the row) or {@link #FENCE}. */
    private static final String ONE_ROW = """
            o AS (
              SELECT x.partition_key, x.execution_id, x.lease_epoch, x.current_lease_id, x.current_worker_id,
                     x.current_worker_instance_id, x.lease_expires_at_ms, x.lease_granted_at_ms, $7::text AS reason,
                     $14::text AS fingerprint, $4::bytea AS result_payload, $5::text AS result_encoding
              FROM {s}.ff_exec_core x
              WHERE x.partition_key = $1 AND x.execution_id = $2 {fence}
              FOR NO KEY UPDATE
            )""";

    private static final String ONE_RESULT = """
            SELECT e.public_state, e.flow_id IS NOT NULL AS flow_member, (SELECT count(*) FROM n) AS notified
            FROM e""";

    /**
     * The fence of 01 §6.3 on the row. "The execution is active" is not written out: a lease id is set exactly on
     * active rows (CHECK ff_exec_core_active_lease_columns_check), so matching it says so. Written out, it would let
     * the planner answer the lookup from a partial index over all active rows (lease expiry, worker leases), which it
     * does when the statistics were taken while few executions were active, instead of the primary key.
     */
    private static final String FENCE = """
            AND x.current_attempt_index = $17 AND x.lease_epoch = $18
              AND x.current_lease_id = $19 AND x.lease_expires_at_ms > {s}.now_ms()""";

    /**
     * The {@code o} of a set of rows of one partition that the caller has already locked, with per-row reasons and
     * lease fingerprints ($2, $7 and $14 are parallel arrays). Rows that are terminal by now are left alone.
     */
    private static final String MANY_ROWS = """
            r AS (
              SELECT * FROM unnest($2::uuid[], $7::text[], $14::text[]) AS r(id, reason, fingerprint)
            ), o AS (
              SELECT x.partition_key, x.execution_id, x.lease_epoch, x.current_lease_id, x.current_worker_id,
                     x.current_worker_instance_id, x.lease_expires_at_ms, x.lease_granted_at_ms, r.reason,
                     r.fingerprint, $4::bytea AS result_payload, $5::text AS result_encoding
              FROM {s}.ff_exec_core x JOIN r ON x.execution_id = r.id
              WHERE x.partition_key = $1 AND x.lifecycle_phase <> 'terminal'
              FOR NO KEY UPDATE OF x
            )""";

    /**
     * The {@code o} of a batch of fenced completions, possibly on several partitions ($1, $2, $5, $14, $17..$21 are
     * parallel arrays): each row passes its own fence ({@link #FENCE}, row by row) or is left out. The results travel as one bytea ($4) cut by
     * offsets ($20) and lengths ($21, -1 for none), so no array-of-bytea codec is needed. Rows are locked in key order,
     * the same order for every batch, so two batches cannot deadlock on each other.
     */
    private static final String FENCED_ROWS = """
            r AS (
              SELECT * FROM unnest($1::int[], $2::uuid[], $17::int[], $18::bigint[], $19::uuid[], $14::text[], $5::text[],
                                   $20::int[], $21::int[])
                  AS r(pk, id, attempt_index, epoch, lease, fingerprint, encoding, off, len)
            ), o AS (
              SELECT x.partition_key, x.execution_id, x.lease_epoch, x.current_lease_id, x.current_worker_id,
                     x.current_worker_instance_id, x.lease_expires_at_ms, x.lease_granted_at_ms, $7::text AS reason,
                     r.fingerprint,
                     CASE WHEN r.len >= 0 THEN substring($4::bytea FROM r.off + 1 FOR r.len) END AS result_payload,
                     nullif(r.encoding, '') AS result_encoding
              FROM {s}.ff_exec_core x JOIN r ON x.partition_key = r.pk AND x.execution_id = r.id
              WHERE x.current_attempt_index = r.attempt_index AND x.lease_epoch = r.epoch
                AND x.current_lease_id = r.lease AND x.lease_expires_at_ms > {s}.now_ms()
              ORDER BY x.partition_key, x.execution_id
              FOR NO KEY UPDATE OF x
            )""";

    private static final String FENCED_RESULT = """
            SELECT e.partition_key, e.execution_id, e.public_state, e.flow_id IS NOT NULL AS flow_member,
                   (SELECT count(*) FROM n) AS notified
            FROM e""";

    private static final String MANY_RESULT = """
            SELECT count(*) AS ended, bool_or(e.flow_id IS NOT NULL) AS flow_member,
                   (SELECT count(*) FROM n) AS notified
            FROM e""";

    private static String statement(String rows, String result) {
        return SQL.replace("{rows}", rows).replace("{result}", result);
    }

    private final String lockedSql;
    private final String fencedSql;
    private final String manySql;
    private final String fencedManySql;
    private final Channels channels;
    private final boolean notifyLease;

    TerminalTransition(SqlTemplate template, Channels channels, boolean notifyLease) {
        this.lockedSql = template.render(statement(ONE_ROW.replace("{fence}", ""), ONE_RESULT));
        this.fencedSql = template.render(statement(ONE_ROW.replace("{fence}", FENCE), ONE_RESULT));
        this.manySql = template.render(statement(MANY_ROWS, MANY_RESULT));
        this.fencedManySql = template.render(statement(FENCED_ROWS, FENCED_RESULT));
        this.channels = channels;
        this.notifyLease = notifyLease;
    }

    /** Applies T to the locked {@code row}; emits the new public state. */
    public Mono<PublicState> apply(Tx tx, ExecRow row, Terminal t) {
        Object fingerprint = row.leased() ? new LeaseId(row.leaseId()).fingerprint() : new Bind(String.class);
        return run(tx, lockedSql, row.id(), row.currentAttemptIndex(), row.leased(), fingerprint, t)
                .single();
    }

    /**
     * Applies T in one statement that first checks the fence (01 §6.3's passing case) while locking the row: the
     * hot path of {@code complete} and {@code cancel}. Emits the new public state, or completes empty when the fence
     * did not pass (nothing was written; the caller then runs the full check to classify or replay).
     */
    Mono<PublicState> applyFenced(Tx tx, LeaseFence fence, Terminal t) {
        return run(tx, fencedSql, fence.executionId(), fence.attemptIndex(), true, fence.leaseId().fingerprint(), t,
                fence.attemptIndex(), fence.leaseEpoch(), fence.leaseId().uuid());
    }

    /** One completion of a batch: its fence, and the result (or none) and encoding the execution stores. */
    record FencedResult(LeaseFence fence, byte @Nullable [] result, @Nullable String encoding) {
    }

    /** An execution a batch ended, and its public state now. */
    record Ended(ExecutionId id, PublicState state) {
    }

    /**
     * {@link #applyFenced} for a batch, in one statement: every row whose own fence passes gets {@code t} with its
     * own result; the others are left untouched (the caller classifies them one by one). The fences must name
     * distinct executions. Emits each execution that ended, in key order.
     */
    Flux<Ended> applyFencedAll(Tx tx, List<FencedResult> batch, Terminal t) {
        int n = batch.size();
        Integer[] partitions = new Integer[n];
        java.util.UUID[] ids = new java.util.UUID[n];
        Integer[] attempts = new Integer[n];
        Long[] epochs = new Long[n];
        java.util.UUID[] leases = new java.util.UUID[n];
        String[] fingerprints = new String[n];
        String[] encodings = new String[n];
        Integer[] offsets = new Integer[n];
        Integer[] lengths = new Integer[n];
        java.io.ByteArrayOutputStream results = new java.io.ByteArrayOutputStream();
        java.util.LinkedHashSet<String> notify = new java.util.LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            FencedResult item = batch.get(i);
            LeaseFence f = item.fence();
            partitions[i] = f.executionId().partition();
            ids[i] = f.executionId().uuid();
            attempts[i] = f.attemptIndex();
            epochs[i] = f.leaseEpoch();
            leases[i] = f.leaseId().uuid();
            fingerprints[i] = f.leaseId().fingerprint();
            encodings[i] = item.encoding() == null ? "" : item.encoding();
            offsets[i] = results.size();
            lengths[i] = item.result() == null ? -1 : item.result().length;
            if (item.result() != null) {
                results.writeBytes(item.result());
            }
            addChannels(notify, f.executionId(), true, f.attemptIndex());
        }
        Object[] params = bindings(tx, t, partitions, ids, new Bind(String.class), fingerprints, true, notify);
        params[3] = ByteBuffer.wrap(results.toByteArray());
        params[4] = encodings;
        Object[] all = java.util.Arrays.copyOf(params, params.length + 5);
        all[params.length] = attempts;
        all[params.length + 1] = epochs;
        all[params.length + 2] = leases;
        all[params.length + 3] = offsets;
        all[params.length + 4] = lengths;
        return tx.query(fencedManySql, r -> {
            noteFlowMember(tx, r);
            return new Ended(ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", java.util.UUID.class)),
                    PublicState.fromLiteral(r.get("public_state", String.class)));
        }, all);
    }

    /**
     * Applies T to every row of {@code rows} that is not terminal, in one statement: the set form used where one
     * decision ends many executions at once (sibling cancels). The rows must all be on {@code partition} and already
     * locked by the caller's transaction; every row gets {@code t}'s cancellation reason. Emits how many executions
     * were ended.
     */
    public Mono<Integer> applyAll(Tx tx, int partition, List<ExecRow> rows, Terminal t) {
        return applyAll(tx, partition, rows, row -> t.cancellationReason(), t);
    }

    /** {@link #applyAll(Tx, int, List, Terminal)} with a cancellation reason per row. */
    public Mono<Integer> applyAll(Tx tx, int partition, List<ExecRow> rows,
                                  java.util.function.Function<ExecRow, @Nullable String> reasons, Terminal t) {
        List<ExecRow> open = rows.stream().filter(r -> !r.terminal()).toList();
        if (open.isEmpty()) {
            return Mono.just(0);
        }
        java.util.UUID[] ids = new java.util.UUID[open.size()];
        String[] why = new String[open.size()];
        String[] fingerprints = new String[open.size()];
        java.util.LinkedHashSet<String> notify = new java.util.LinkedHashSet<>();
        for (int i = 0; i < open.size(); i++) {
            ExecRow row = open.get(i);
            if (row.id().partition() != partition) {
                return Mono.error(new IllegalArgumentException("rows of one partition only"));
            }
            ids[i] = row.id().uuid();
            why[i] = reasons.apply(row);
            fingerprints[i] = row.leased() ? new LeaseId(row.leaseId()).fingerprint() : null;
            addChannels(notify, row.id(), row.leased(), row.currentAttemptIndex());
        }
        return tx.queryOne(manySql, r -> {
                    noteFlowMember(tx, r);
                    return r.get("ended", Long.class).intValue();
                }, bindings(tx, t, partition, ids, why, fingerprints, true, notify));
    }

    private Mono<PublicState> run(Tx tx, String sql, ExecutionId id, @Nullable Integer attemptIndex, boolean leased,
                                  Object fingerprint, Terminal t, Object... fence) {
        java.util.Set<String> notify = new java.util.LinkedHashSet<>(4);
        addChannels(notify, id, leased, attemptIndex);
        Object[] params = bindings(tx, t, id.partition(), id.uuid(), Bind.nullable(t.cancellationReason(), String.class),
                fingerprint, leased, notify);
        Object[] all = new Object[params.length + fence.length];
        System.arraycopy(params, 0, all, 0, params.length);
        System.arraycopy(fence, 0, all, params.length, fence.length);
        return tx.queryOne(sql, r -> {
            noteFlowMember(tx, r);
            return PublicState.fromLiteral(r.get("public_state", String.class));
        }, all);
    }

    /**
     * The channels an execution's end wakes: completions always, the lease channel when it held a lease (and lease
     * events notify), and its attempt's stream, now closed, whose followers must wake to see the marker (05 §7).
     */
    private void addChannels(java.util.Set<String> notify, ExecutionId id, boolean leased,
                             @Nullable Integer attemptIndex) {
        notify.add(channels.completion());
        if (leased && notifyLease) {
            notify.add(channels.lease());
        }
        if (attemptIndex != null) {
            notify.add(channels.stream(id, attemptIndex));
        }
    }

    /** The statement notified $16 when a flow member ended; the local commit feed then wakes this node's dispatcher. */
    private void noteFlowMember(Tx tx, io.r2dbc.spi.Readable r) {
        if (Boolean.TRUE.equals(r.get("flow_member", Boolean.class))) {
            tx.notifiedInStatement(List.of(channels.flowCompletion()));
        }
    }

    /** $1..$16 of {@link #SQL}: the row(s), the transition, the per-row reason(s) and fingerprint(s), the channels. */
    private Object[] bindings(Tx tx, Terminal t, Object partition, Object ids, Object reasons, Object fingerprints,
                              boolean leased, java.util.Collection<String> notify) {
        String attemptLifecycle = switch (t.outcome()) {
            case SUCCESS -> "ended_success";
            case CANCELLED -> "ended_cancelled";
            default -> "ended_failure";
        };
        return new Object[] {partition, ids,
                t.outcome().literal(),
                t.resultBytes() == null ? new Bind(ByteBuffer.class) : t.resultBytes(),
                Bind.nullable(t.resultEncoding(), String.class),
                Bind.nullable(t.cancelledBy(), String.class),
                reasons,
                Bind.nullable(t.failureMessage(), String.class),
                Bind.nullable(t.failureCategory(), String.class),
                attemptLifecycle,
                t.endReason().literal(),
                Bind.nullable(t.endDetailJson(), String.class),
                leased ? t.leaseEnd().literal() : new Bind(String.class),
                fingerprints,
                tx.notifiedInStatement(notify),
                channels.flowCompletion()};
    }
}
