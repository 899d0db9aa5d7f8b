package io.flowfabric.postgres.retention;

import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The retention and pruning jobs of spec 08 §2: {@code retention}, {@code flow_summary}, {@code outbox_pruning},
 * {@code dedup_pruning} and {@code audit_pruning}. Each discovers with one indexed statement ({@code SKIP LOCKED}
 * where rows are locked) and is safe to run on several nodes at once. {@code retention} (standalone executions:
 * terminal time plus retention) and {@code flow_summary} (dirty marks) report their lag. Internal: the engine builds
 * it.
 */
public final class RetentionJobs {

    private static final String DUE_EXECUTIONS = "SELECT " + ExecutionPurge.COLUMNS + """
            , e.terminal_at_ms AS ff_terminal_at_ms, {s}.now_ms() AS ff_now_ms
            FROM {s}.ff_exec_core e
            WHERE e.lifecycle_phase = 'terminal' AND e.flow_id IS NULL AND e.terminal_at_ms < {s}.now_ms() - $1::bigint
            ORDER BY e.terminal_at_ms
            LIMIT $2
            FOR UPDATE SKIP LOCKED""";

    /** Finished flows (summary completed/failed/cancelled, last member ended before the cutoff) and idle empty ones. */
    private static final String DUE_FLOWS = """
            SELECT f.partition_key, f.flow_id FROM {s}.ff_flow_core f
            LEFT JOIN {s}.ff_flow_summary m ON m.partition_key = f.partition_key AND m.flow_id = f.flow_id
            WHERE ((m.derived_state IN ('completed', 'failed', 'cancelled')
                    AND coalesce(m.last_terminal_at_ms, f.last_mutation_at_ms) < {s}.now_ms() - $1::bigint)
                   OR (f.node_count = 0 AND f.last_mutation_at_ms < {s}.now_ms() - $1::bigint))
              AND NOT EXISTS (SELECT 1 FROM {s}.ff_exec_core x
                              WHERE x.partition_key = f.partition_key AND x.flow_id = f.flow_id
                                AND (x.lifecycle_phase <> 'terminal' OR x.terminal_at_ms >= {s}.now_ms() - $1::bigint))
              AND NOT EXISTS (SELECT 1 FROM {s}.ff_flow_dirty d
                              WHERE d.partition_key = f.partition_key AND d.flow_id = f.flow_id)
            LIMIT $2
            FOR UPDATE OF f SKIP LOCKED""";

    private static final String FLOW_MEMBERS = "SELECT " + ExecutionPurge.COLUMNS + """

            FROM {s}.ff_exec_core e
            WHERE e.partition_key = $1 AND e.flow_id = $2
            ORDER BY e.execution_id
            FOR UPDATE""";

    private static final String PURGE_FLOW = """
            WITH ed AS (DELETE FROM {s}.ff_edge t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            gr AS (DELETE FROM {s}.ff_edge_group t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            sm AS (DELETE FROM {s}.ff_flow_summary t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            di AS (DELETE FROM {s}.ff_flow_dirty t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            bl AS (DELETE FROM {s}.ff_cancel_backlog t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            bm AS (DELETE FROM {s}.ff_cancel_backlog_member t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1),
            sc AS (DELETE FROM {s}.ff_sibling_cancel t WHERE t.partition_key = $1 AND t.flow_id = $2 RETURNING 1)
            DELETE FROM {s}.ff_flow_core t WHERE t.partition_key = $1 AND t.flow_id = $2""";

    private static final String PROJECT_SUMMARIES = """
            WITH d AS (
              SELECT partition_key, flow_id, marked_at_ms FROM {s}.ff_flow_dirty ORDER BY marked_at_ms LIMIT $1
              FOR UPDATE SKIP LOCKED
            ), c AS (
              SELECT d.partition_key, d.flow_id, f.public_flow_state,
                     count(x.execution_id) AS members,
                     count(*) FILTER (WHERE x.lifecycle_phase = 'terminal') AS terminal,
                     count(*) FILTER (WHERE x.public_state = 'waiting') AS waiting,
                     count(*) FILTER (WHERE x.public_state = 'delayed') AS delayed,
                     count(*) FILTER (WHERE x.public_state = 'rate_limited') AS rate_limited,
                     count(*) FILTER (WHERE x.public_state = 'waiting_children') AS waiting_children,
                     count(*) FILTER (WHERE x.public_state = 'active') AS active,
                     count(*) FILTER (WHERE x.public_state = 'suspended') AS suspended,
                     count(*) FILTER (WHERE x.public_state = 'resumable') AS resumable,
                     count(*) FILTER (WHERE x.public_state = 'completed') AS completed,
                     count(*) FILTER (WHERE x.public_state = 'failed') AS failed,
                     count(*) FILTER (WHERE x.public_state = 'cancelled') AS cancelled,
                     count(*) FILTER (WHERE x.public_state = 'expired') AS expired,
                     count(*) FILTER (WHERE x.public_state = 'skipped') AS skipped,
                     max(x.terminal_at_ms) AS last_terminal
              FROM d
              JOIN {s}.ff_flow_core f ON f.partition_key = d.partition_key AND f.flow_id = d.flow_id
              LEFT JOIN {s}.ff_exec_core x ON x.partition_key = d.partition_key AND x.flow_id = d.flow_id
              GROUP BY d.partition_key, d.flow_id, f.public_flow_state
            ), u AS (
              INSERT INTO {s}.ff_flow_summary AS s (partition_key, flow_id, waiting_count, delayed_count,
                  rate_limited_count, waiting_children_count, active_count, suspended_count, resumable_count,
                  completed_count, failed_count, cancelled_count, expired_count, skipped_count, derived_state,
                  last_terminal_at_ms, updated_at_ms)
              SELECT partition_key, flow_id, waiting, delayed, rate_limited, waiting_children, active, suspended,
                     resumable, completed, failed, cancelled, expired, skipped,
                     CASE WHEN public_flow_state = 'cancelled' THEN 'cancelled'
                          WHEN members > 0 AND terminal = members
                               THEN CASE WHEN failed + cancelled + expired > 0 THEN 'failed' ELSE 'completed' END
                          WHEN active > 0 THEN 'running'
                          WHEN suspended + delayed + rate_limited + waiting_children > 0 THEN 'blocked'
                          ELSE 'open' END,
                     last_terminal, {s}.now_ms()
              FROM c
              ON CONFLICT (partition_key, flow_id) DO UPDATE SET
                waiting_count = EXCLUDED.waiting_count, delayed_count = EXCLUDED.delayed_count,
                rate_limited_count = EXCLUDED.rate_limited_count,
                waiting_children_count = EXCLUDED.waiting_children_count, active_count = EXCLUDED.active_count,
                suspended_count = EXCLUDED.suspended_count, resumable_count = EXCLUDED.resumable_count,
                completed_count = EXCLUDED.completed_count, failed_count = EXCLUDED.failed_count,
                cancelled_count = EXCLUDED.cancelled_count, expired_count = EXCLUDED.expired_count,
                skipped_count = EXCLUDED.skipped_count, derived_state = EXCLUDED.derived_state,
                last_terminal_at_ms = EXCLUDED.last_terminal_at_ms, updated_at_ms = EXCLUDED.updated_at_ms
              RETURNING 1
            ), del AS (
              DELETE FROM {s}.ff_flow_dirty x USING d
              WHERE x.partition_key = d.partition_key AND x.flow_id = d.flow_id
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM d) AS scanned, (SELECT count(*) FROM u) AS projected,
                   (SELECT min(marked_at_ms) FROM d) AS oldest_due, {s}.now_ms() AS now_ms""";

    /** Prefix pruning of one outbox (04 §4, 08 §2); {@code %s} is the table, {@code %s} the extra blocker. */
    private static final String PRUNE_OUTBOX = """
            WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon),
            r AS (
              SELECT o.partition_key, o.event_id, o.tx_id,
                     (o.occurred_at_ms >= {s}.now_ms() - $2::bigint %2$s) AS blocker
              FROM {s}.%1$s o, h
              WHERE o.tx_id < h.horizon
              ORDER BY o.tx_id, o.event_id
              LIMIT $1
            ), first_blocker AS (
              SELECT tx_id, event_id FROM r WHERE blocker ORDER BY tx_id, event_id LIMIT 1
            ), del AS (
              DELETE FROM {s}.%1$s o USING r
              WHERE o.partition_key = r.partition_key AND o.event_id = r.event_id AND NOT r.blocker
                AND (NOT EXISTS (SELECT 1 FROM first_blocker)
                     OR (r.tx_id, r.event_id) < (SELECT tx_id, event_id FROM first_blocker))
              RETURNING o.tx_id, o.event_id
            ), top AS (
              SELECT tx_id, event_id FROM del ORDER BY tx_id DESC, event_id DESC LIMIT 1
            ), wm AS (
              UPDATE {s}.ff_outbox_watermark w SET tx_id = top.tx_id, event_id = top.event_id,
                     updated_at_ms = {s}.now_ms()
              FROM top
              WHERE w.outbox_table = '%1$s' AND (w.tx_id, w.event_id) < (top.tx_id, top.event_id)
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM r) AS scanned, (SELECT count(*) FROM del) AS deleted""";

    private static final List<String> DEDUP_TABLES = List.of(
            prune("ff_idempotency", "partition_key, namespace, idempotency_key", "expires_at_ms <= {s}.now_ms()"),
            prune("ff_signal_dedup", "partition_key, execution_id, idempotency_key", "expires_at_ms <= {s}.now_ms()"),
            prune("ff_suspend_dedup", "partition_key, execution_id, idempotency_key", "expires_at_ms <= {s}.now_ms()"),
            prune("ff_budget_dedup", "partition_key, budget_id, dedup_key", "expires_at_ms <= {s}.now_ms()"));

    private static final String AUDIT = prune("ff_worker_event", "partition_key, event_id",
            "occurred_at_ms < {s}.now_ms() - $2::bigint");

    /** A keyed, skip-locked, batched delete of rows matching {@code condition}. */
    private static String prune(String table, String key, String condition) {
        return "WITH d AS (SELECT " + key + " FROM {s}." + table + " WHERE " + condition + " LIMIT $1"
                + " FOR UPDATE SKIP LOCKED) DELETE FROM {s}." + table + " t USING d WHERE ("
                + prefixed("t", key) + ") = (" + prefixed("d", key) + ") RETURNING 1";
    }

    private static String prefixed(String alias, String columns) {
        return String.join(", ", java.util.Arrays.stream(columns.split(",\\s*")).map(c -> alias + "." + c).toList());
    }

    private final Database db;
    private final ExecutionPurge purge;
    private final long retentionMs;
    private final long outboxRetentionMs;
    private final long auditRetentionMs;
    private final String dueExecutions;
    private final String dueFlows;
    private final String flowMembers;
    private final String purgeFlow;
    private final String projectSummaries;
    private final List<String[]> outboxes;
    private final List<String> dedup;
    private final String audit;

    public RetentionJobs(Database db, SqlTemplate sql, Duration retention, Duration outboxRetention,
                         Duration auditRetention) {
        this.db = db;
        this.purge = new ExecutionPurge(sql);
        this.retentionMs = retention.toMillis();
        this.outboxRetentionMs = outboxRetention.toMillis();
        this.auditRetentionMs = auditRetention.toMillis();
        this.dueExecutions = sql.render(DUE_EXECUTIONS);
        this.dueFlows = sql.render(DUE_FLOWS);
        this.flowMembers = sql.render(FLOW_MEMBERS);
        this.purgeFlow = sql.render(PURGE_FLOW);
        this.projectSummaries = sql.render(PROJECT_SUMMARIES);
        // Table names are constants of this class, never input.
        this.outboxes = List.of(
                new String[] {"ff_completion_event", sql.render(String.format(PRUNE_OUTBOX, "ff_completion_event",
                        "OR o.dispatched_at_ms IS NULL"))},
                new String[] {"ff_lease_event", sql.render(String.format(PRUNE_OUTBOX, "ff_lease_event", ""))},
                new String[] {"ff_signal_event", sql.render(String.format(PRUNE_OUTBOX, "ff_signal_event", ""))},
                new String[] {"ff_operator_event", sql.render(String.format(PRUNE_OUTBOX, "ff_operator_event", ""))});
        this.dedup = DEDUP_TABLES.stream().map(sql::render).toList();
        this.audit = sql.render(AUDIT);
    }

    /** Every job of this package. */
    public List<ReconcilerJob> jobs() {
        return List.of(
                ReconcilerJob.ofBatch("retention", Duration.ofSeconds(60), 200, this::retentionBatch),
                ReconcilerJob.ofBatch("flow_summary", Duration.ofSeconds(2), 100, this::summaryBatch),
                ReconcilerJob.of("outbox_pruning", Duration.ofSeconds(60), 10_000, this::outboxBatch),
                ReconcilerJob.of("dedup_pruning", Duration.ofSeconds(60), 5_000, this::dedupBatch),
                ReconcilerJob.of("audit_pruning", Duration.ofSeconds(60), 5_000, this::auditBatch));
    }

    /** A due standalone execution with its due time (terminal time + retention) and the database time. */
    private record DueVictim(ExecutionPurge.Victim victim, long dueMs, long nowMs) {
    }

    /**
     * Standalone executions first (up to the batch), then up to 20 finished flows with all their members. The lag is
     * measured on the executions only: the age of the oldest locked one past its retention (0 when none).
     */
    private Mono<ReconcilerJob.Batch> retentionBatch(int batch) {
        Mono<ReconcilerJob.Batch> executions = db.inTransactionOne("retention", tx -> tx.query(dueExecutions,
                        r -> new DueVictim(ExecutionPurge.Victim.read(r),
                                r.get("ff_terminal_at_ms", Long.class) + retentionMs, r.get("ff_now_ms", Long.class)),
                        retentionMs, batch).collectList()
                .flatMap(due -> purge.purge(tx, due.stream().map(DueVictim::victim).toList())
                        .map(n -> new ReconcilerJob.Batch(due.size(), n, due.size() - n, due.isEmpty()
                                ? Duration.ZERO : ReconcilerJob.lag(due.get(0).nowMs(), due.get(0).dueMs())))));
        Mono<int[]> flows = db.inTransaction("retention_flows", tx -> tx.query(dueFlows,
                        r -> new Object[] {r.get("partition_key", Short.class), r.get("flow_id", UUID.class)},
                        retentionMs, 20)
                .concatMap(f -> purgeFlow(tx, ((Short) f[0]).intValue(), (UUID) f[1])))
                .reduce(new int[] {0, 0}, (a, b) -> new int[] {a[0] + b[0], a[1] + b[1]});
        return executions.zipWith(flows, (a, b) -> a.plus(ReconcilerJob.Batch.of(b[0], b[1])));
    }

    private Flux<int[]> purgeFlow(Tx tx, int pk, UUID flow) {
        return tx.query(flowMembers, ExecutionPurge.Victim::read, pk, flow).collectList()
                .flatMap(members -> purge.purge(tx, members)
                        .then(tx.update(purgeFlow, pk, flow))
                        .thenReturn(new int[] {1, 1}))
                .flux();
    }

    private Mono<ReconcilerJob.Batch> summaryBatch(int batch) {
        return db.inTransactionOne("flow_summary", tx -> tx.queryOne(projectSummaries, r -> {
            int scanned = r.get("scanned", Long.class).intValue();
            int projected = r.get("projected", Long.class).intValue();
            return new ReconcilerJob.Batch(scanned, projected, scanned - projected,
                    ReconcilerJob.lag(r.get("now_ms", Long.class), r.get("oldest_due", Long.class)));
        }, batch));
    }

    private Mono<int[]> outboxBatch(int batch) {
        return Flux.fromIterable(outboxes)
                .concatMap(o -> db.inTransactionOne("outbox_pruning", tx -> tx.queryOne(o[1],
                        r -> new int[] {r.get("scanned", Long.class).intValue(),
                                r.get("deleted", Long.class).intValue()}, batch, outboxRetentionMs)))
                // Scanned is reported per table; the tick repeats while any table filled its batch.
                .reduce(new int[] {0, 0}, (a, b) -> new int[] {Math.max(a[0], b[0]), a[1] + b[1]});
    }

    private Mono<int[]> dedupBatch(int batch) {
        return Flux.fromIterable(dedup)
                .concatMap(sql -> db.inTransaction("dedup_pruning", tx -> tx.query(sql, r -> 1, batch)).count())
                .map(Long::intValue)
                .reduce(new int[] {0, 0}, (a, n) -> new int[] {Math.max(a[0], n), a[1] + n});
    }

    private Mono<int[]> auditBatch(int batch) {
        return db.inTransaction("audit_pruning", tx -> tx.query(audit, r -> 1, batch, auditRetentionMs)).count()
                .map(n -> new int[] {n.intValue(), n.intValue()});
    }
}
