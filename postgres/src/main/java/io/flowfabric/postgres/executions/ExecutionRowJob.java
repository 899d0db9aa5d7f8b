package io.flowfabric.postgres.executions;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import io.r2dbc.spi.Readable;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A reconciler job over due execution rows (spec 08 §1): one indexed statement across partitions discovers and locks
 * up to a batch of due rows ({@code FOR UPDATE SKIP LOCKED}, ordered by the due column), and the action runs on each
 * in the same transaction. If the batch fails, the due rows are retried one transaction each (re-checking the
 * condition under the lock), so one poison row cannot block the others; its error is counted and it is retried on the
 * next tick. Every batch reports its lag (age of the oldest due row) and the due rows it skipped because another
 * transaction held them, both from the discovery statement itself.
 */
final class ExecutionRowJob implements ReconcilerJob {

    /** What the job does to one locked, due row. */
    @FunctionalInterface
    interface RowAction {
        Mono<Void> apply(Tx tx, ExecRow row);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ExecutionRowJob.class);

    /**
     * Discovery, one statement: {@code locked} is the batch ({@code SKIP LOCKED}, in due order); {@code seen} is the
     * same scan without locks, in the statement's snapshot, for the lag (its oldest due value) and the rows held by
     * other transactions (seen but not locked, below the batch's last due value, or anywhere when the batch was not
     * full). The result is one row per locked row, or a single row of statistics alone when nothing was locked.
     * {@code %1$s} are the row columns, {@code %2$s} the due condition, {@code %3$s} the due column.
     */
    private static final String DISCOVER = """
            WITH locked AS (
              SELECT %1$s, e.%3$s AS ff_due
              FROM {s}.ff_exec_core e WHERE %2$s ORDER BY e.%3$s LIMIT $1 FOR UPDATE SKIP LOCKED
            ), seen AS (
              SELECT e.partition_key, e.execution_id, e.%3$s AS ff_due
              FROM {s}.ff_exec_core e WHERE %2$s ORDER BY e.%3$s LIMIT $1
            ), stats AS (
              SELECT {s}.now_ms() AS ff_now_ms, (SELECT min(ff_due) FROM seen) AS ff_oldest_due,
                     (SELECT count(*) FROM seen v
                      WHERE NOT EXISTS (SELECT 1 FROM locked l
                                        WHERE l.partition_key = v.partition_key AND l.execution_id = v.execution_id)
                        AND (v.ff_due < (SELECT max(l.ff_due) FROM locked l)
                             OR (SELECT count(*) FROM locked) < $1)) AS ff_held
            )
            SELECT stats.ff_now_ms, stats.ff_oldest_due, stats.ff_held, locked.*
            FROM stats LEFT JOIN locked ON true
            ORDER BY locked.ff_due""";

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
        this.discoverSql = sql.render(String.format(DISCOVER, ExecRow.COLUMNS, dueCondition, dueColumn));
        this.discoverIdsSql = sql.render("SELECT e.partition_key, e.execution_id, e." + dueColumn + " AS ff_due,"
                + " {s}.now_ms() AS ff_now_ms FROM {s}.ff_exec_core e WHERE " + dueCondition + " ORDER BY e."
                + dueColumn + " LIMIT $1");
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
        return db.inTransactionOne(name, tx -> tx.query(discoverSql, Discovered::read, batchSize).collectList()
                        .flatMap(found -> {
                            List<ExecRow> rows = found.stream().map(Discovered::row).filter(Objects::nonNull)
                                    .toList();
                            Discovered stats = found.get(0);
                            return Flux.fromIterable(rows).concatMap(row -> action.apply(tx, row)).then()
                                    .thenReturn(new TickReport(name, rows.size(), rows.size(), (int) stats.held(), 0,
                                            Duration.ofNanos(System.nanoTime() - started),
                                            ReconcilerJob.lag(stats.nowMs(), stats.oldestDueMs())));
                        }))
                .onErrorResume(e -> {
                    LOG.warn("{} batch failed, retrying row by row: {}", name, e.toString());
                    return perRow(started);
                });
    }

    /** One row of discovery: the statement's statistics, and a locked row unless nothing was locked. */
    private record Discovered(long nowMs, @Nullable Long oldestDueMs, long held, @Nullable ExecRow row) {

        static Discovered read(Readable r) {
            Long now = r.get("ff_now_ms", Long.class);
            Long held = r.get("ff_held", Long.class);
            return new Discovered(now == null ? 0 : now, r.get("ff_oldest_due", Long.class),
                    held == null ? 0 : held, r.get("execution_id", UUID.class) == null ? null : ExecRow.read(r));
        }
    }

    private record RowKey(short partition, UUID id, long dueMs, long nowMs) {
    }

    private Mono<TickReport> perRow(long started) {
        return db.inTransaction(name, tx -> tx.query(discoverIdsSql,
                        r -> new RowKey(r.get("partition_key", Short.class), r.get("execution_id", UUID.class),
                                r.get("ff_due", Long.class), r.get("ff_now_ms", Long.class)),
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
                                Duration.ofNanos(System.nanoTime() - started), keys.isEmpty() ? Duration.ZERO
                                : ReconcilerJob.lag(keys.get(0).nowMs(), keys.get(0).dueMs()))));
    }
}
