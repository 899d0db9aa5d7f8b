package io.flowfabric.postgres.executions;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A reconciler job over due execution rows (spec 08 §1): one indexed statement across partitions discovers and locks
 * up to a batch of due rows ({@code FOR UPDATE SKIP LOCKED}, ordered by the due column), and the action runs on each
 * in the same transaction. If the batch fails, the due rows are retried one transaction each (re-checking the
 * condition under the lock), so one poison row cannot block the others; its error is counted and it is retried on the
 * next tick.
 */
final class ExecutionRowJob implements ReconcilerJob {

    /** What the job does to one locked, due row. */
    @FunctionalInterface
    interface RowAction {
        Mono<Void> apply(Tx tx, ExecRow row);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ExecutionRowJob.class);

    private final String name;
    private final Duration interval;
    private final int batchSize;
    private final Database db;
    private final RowAction action;
    private final String discoverSql;
    private final String discoverIdsSql;
    private final String lockOneSql;

    /**
     * @param dueCondition SQL over alias {@code e} that makes a row due, e.g.
     *                     {@code e.lifecycle_phase = 'active' AND e.lease_expires_at_ms <= {s}.now_ms()}
     * @param dueColumn    the indexed column the discovery orders by
     */
    ExecutionRowJob(String name, Duration interval, int batchSize, Database db, SqlTemplate sql, String dueCondition,
                    String dueColumn, RowAction action) {
        this.name = name;
        this.interval = interval;
        this.batchSize = batchSize;
        this.db = db;
        this.action = action;
        this.discoverSql = sql.render("SELECT " + ExecRow.COLUMNS + " FROM {s}.ff_exec_core e WHERE " + dueCondition
                + " ORDER BY e." + dueColumn + " LIMIT $1 FOR UPDATE SKIP LOCKED");
        this.discoverIdsSql = sql.render("SELECT e.partition_key, e.execution_id FROM {s}.ff_exec_core e WHERE "
                + dueCondition + " ORDER BY e." + dueColumn + " LIMIT $1");
        this.lockOneSql = sql.render("SELECT " + ExecRow.COLUMNS + " FROM {s}.ff_exec_core e"
                + " WHERE e.partition_key = $1 AND e.execution_id = $2 AND " + dueCondition + " FOR UPDATE SKIP LOCKED");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Duration defaultInterval() {
        return interval;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public Mono<TickReport> runBatch() {
        long started = System.nanoTime();
        return db.inTransactionOne(name, tx -> tx.query(discoverSql, ExecRow::read, batchSize).collectList()
                        .flatMap(rows -> Flux.fromIterable(rows).concatMap(row -> action.apply(tx, row)).then()
                                .thenReturn(rows.size())))
                .map(n -> new TickReport(name, n, n, 0, 0, Duration.ofNanos(System.nanoTime() - started)))
                .onErrorResume(e -> {
                    LOG.warn("{} batch failed, retrying row by row: {}", name, e.toString());
                    return perRow(started);
                });
    }

    private record RowKey(short partition, UUID id) {
    }

    private Mono<TickReport> perRow(long started) {
        return db.inTransaction(name, tx -> tx.query(discoverIdsSql,
                        r -> new RowKey(r.get("partition_key", Short.class), r.get("execution_id", UUID.class)),
                        batchSize))
                .collectList()
                .flatMap(keys -> Flux.fromIterable(keys)
                        .concatMap(key -> db.inTransaction(name, tx -> tx.query(lockOneSql, ExecRow::read,
                                        key.partition(), key.id()).concatMap(row -> action.apply(tx, row).thenReturn(1)))
                                .count()
                                .map(n -> new int[] {n.intValue(), 0})
                                .onErrorResume(e -> {
                                    LOG.warn("{} failed for {{fp:{}}}:{}: {}", name, key.partition(), key.id(),
                                            e.toString());
                                    return Mono.just(new int[] {0, 1});
                                }))
                        .reduce(new int[] {0, 0}, (a, b) -> new int[] {a[0] + b[0], a[1] + b[1]})
                        .map(t -> new TickReport(name, keys.size(), t[0], keys.size() - t[0] - t[1], t[1],
                                Duration.ofNanos(System.nanoTime() - started))));
    }
}
