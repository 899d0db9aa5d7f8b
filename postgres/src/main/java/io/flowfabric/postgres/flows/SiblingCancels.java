package io.flowfabric.postgres.flows;

import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.executions.ExecRow;
import io.flowfabric.postgres.executions.TerminalTransition;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.notify.WakeTriggers;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sibling cancellation (spec 03 §9): the dispatcher cancels the targets queued by a group's decision, and the
 * reconciler cleans up flags and rows left behind. The dispatcher runs right after a local commit that enqueued rows,
 * on a NOTIFY from another node, and as the {@code sibling_cancel_dispatcher} job every second.
 */
final class SiblingCancels {

    private static final Logger LOG = LoggerFactory.getLogger(SiblingCancels.class);
    private static final int TARGETS_PER_TX = 100;

    private static final String QUEUED_GROUPS = """
            SELECT partition_key, flow_id, downstream_id FROM {s}.ff_sibling_cancel
            GROUP BY partition_key, flow_id, downstream_id
            ORDER BY min(enqueued_at_ms)
            LIMIT $1""";

    private static final String LOCK_GROUP = """
            SELECT 1 AS locked FROM {s}.ff_edge_group
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3
            FOR UPDATE SKIP LOCKED""";

    private static final String QUEUE_ROWS = """
            SELECT target_id, reason FROM {s}.ff_sibling_cancel
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3
            ORDER BY target_id LIMIT $4
            FOR UPDATE""";

    private static final String LOCK_TARGETS = "SELECT " + ExecRow.COLUMNS + """

            FROM {s}.ff_exec_core e
            WHERE e.partition_key = $1 AND e.execution_id = ANY($2::uuid[])
            ORDER BY e.execution_id
            FOR NO KEY UPDATE""";

    private static final String DELETE_ROWS = """
            DELETE FROM {s}.ff_sibling_cancel
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3 AND target_id = ANY($4::uuid[])""";

    private static final String CLEAR_FLAG_IF_EMPTY = """
            UPDATE {s}.ff_edge_group g SET cancel_siblings_pending = false
            WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3 AND g.cancel_siblings_pending
              AND NOT EXISTS (SELECT 1 FROM {s}.ff_sibling_cancel q WHERE q.partition_key = $1 AND q.flow_id = $2
                              AND q.downstream_id = $3)""";

    private static final String STALE_FLAGS = """
            WITH g AS (
              SELECT partition_key, flow_id, downstream_id FROM {s}.ff_edge_group x
              WHERE x.cancel_siblings_pending
                AND NOT EXISTS (SELECT 1 FROM {s}.ff_sibling_cancel q WHERE q.partition_key = x.partition_key
                                AND q.flow_id = x.flow_id AND q.downstream_id = x.downstream_id)
              LIMIT $1
              FOR UPDATE SKIP LOCKED
            )
            UPDATE {s}.ff_edge_group x SET cancel_siblings_pending = false FROM g
            WHERE x.partition_key = g.partition_key AND x.flow_id = g.flow_id AND x.downstream_id = g.downstream_id
            RETURNING 1""";

    private static final String TERMINAL_TARGETS = """
            WITH t AS (
              SELECT q.partition_key, q.flow_id, q.downstream_id, q.target_id FROM {s}.ff_sibling_cancel q
              JOIN {s}.ff_exec_core x ON x.partition_key = q.partition_key AND x.execution_id = q.target_id
              WHERE x.lifecycle_phase = 'terminal'
              ORDER BY q.enqueued_at_ms
              LIMIT $1
              FOR UPDATE OF q SKIP LOCKED
            )
            DELETE FROM {s}.ff_sibling_cancel q USING t
            WHERE q.partition_key = t.partition_key AND q.flow_id = t.flow_id AND q.downstream_id = t.downstream_id
              AND q.target_id = t.target_id
            RETURNING 1""";

    private final Database db;
    private final Channels channels;
    private final @Nullable NotificationHub hub;
    private final TerminalTransition terminal;
    private final String queuedGroups;
    private final String lockGroup;
    private final String queueRows;
    private final String lockTargets;
    private final String deleteRows;
    private final String clearFlag;
    private final String staleFlags;
    private final String terminalTargets;
    private @Nullable Disposable running;

    SiblingCancels(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                   TerminalTransition terminal) {
        this.db = db;
        this.channels = channels;
        this.hub = hub;
        this.terminal = terminal;
        this.queuedGroups = sql.render(QUEUED_GROUPS);
        this.lockGroup = sql.render(LOCK_GROUP);
        this.queueRows = sql.render(QUEUE_ROWS);
        this.lockTargets = sql.render(LOCK_TARGETS);
        this.deleteRows = sql.render(DELETE_ROWS);
        this.clearFlag = sql.render(CLEAR_FLAG_IF_EMPTY);
        this.staleFlags = sql.render(STALE_FLAGS);
        this.terminalTargets = sql.render(TERMINAL_TARGETS);
    }

    void start() {
        running = WakeTriggers.onChannel(db, hub, channels.siblingCancel(), "sibling cancel dispatch",
                this::dispatchOnce);
    }

    void stop() {
        if (running != null) {
            running.dispose();
        }
    }

    /** One pass: every queued group, one transaction per group of at most 100 targets. Emits targets cancelled. */
    Mono<int[]> dispatchOnce() {
        return db.inTransaction("sibling_cancel_scan", tx -> tx.query(queuedGroups, r -> new Object[] {
                        r.get("partition_key", Short.class), r.get("flow_id", UUID.class),
                        r.get("downstream_id", UUID.class)}, 100))
                .collectList()
                .flatMap(groups -> Flux.fromIterable(groups)
                        .concatMap(g -> db.inTransactionOne("sibling_cancel", tx -> cancelGroup(tx,
                                ((Short) g[0]).intValue(), (UUID) g[1], (UUID) g[2])))
                        .reduce(0, Integer::sum)
                        .map(n -> new int[] {groups.size(), n}));
    }

    private Mono<Integer> cancelGroup(Tx tx, int pk, UUID flow, UUID downstream) {
        // A group locked by another transaction is left for the next pass.
        return tx.query(lockGroup, r -> 1, pk, flow, downstream).hasElements().flatMap(locked -> !locked
                ? Mono.just(0)
                : tx.query(queueRows, r -> new Object[] {r.get("target_id", UUID.class), r.get("reason", String.class)},
                                pk, flow, downstream, TARGETS_PER_TX).collectList()
                        .flatMap(rows -> {
                            UUID[] targets = rows.stream().map(r -> (UUID) r[0]).toArray(UUID[]::new);
                            java.util.Map<UUID, String> reasons = new java.util.HashMap<>();
                            rows.forEach(r -> reasons.put((UUID) r[0], (String) r[1]));
                            // Every target in one statement: a quorum(1 of 100) winner cancels 99 siblings.
                            return tx.query(lockTargets, ExecRow::read, pk, targets).collectList()
                                    .flatMap(lockedRows -> terminal.applyAll(tx, pk, lockedRows,
                                            row -> reasons.get(row.id().uuid()), TerminalTransition.Terminal.cancelled(
                                                    "sibling_cancel", null, LeaseEventType.REVOKED)))
                                    .flatMap(n -> tx.update(deleteRows, pk, flow, downstream, targets)
                                            .then(tx.update(clearFlag, pk, flow, downstream))
                                            .thenReturn(n));
                        }));
    }

    /** The {@code sibling_cancel_dispatcher} job: the periodic backstop of the immediate path. */
    ReconcilerJob dispatcherJob() {
        return ReconcilerJob.of("sibling_cancel_dispatcher", Duration.ofSeconds(1), 100, batch -> dispatchOnce()
                .map(r -> new int[] {r[0], r[1]}));
    }

    /** The {@code sibling_cancel_reconciler} job: clears flags without rows and drops rows whose target ended. */
    ReconcilerJob reconcilerJob() {
        return ReconcilerJob.of("sibling_cancel_reconciler", Duration.ofSeconds(10), 100, batch -> db.inTransaction(
                        "sibling_cancel_reconciler", tx -> tx.query(staleFlags, r -> 1, batch).count()
                                .zipWith(tx.query(terminalTargets, r -> 1, batch).count(), Long::sum))
                .single()
                .map(n -> new int[] {n.intValue(), n.intValue()}));
    }
}
