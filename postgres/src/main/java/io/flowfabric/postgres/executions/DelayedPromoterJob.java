package io.flowfabric.postgres.executions;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The {@code delayed_promoter} job (spec 08 §2): runnable executions whose delay, retry backoff or quota back-off has
 * elapsed on the database clock become {@code eligible_now} (public state {@code waiting}, or {@code resumable} for a
 * paused attempt, by derivation), and their lanes are notified. One set-based statement per batch; each row's
 * condition is re-checked under its lock by the UPDATE. Reports its lag (age of the oldest due delay) and the due rows
 * held by other transactions.
 */
final class DelayedPromoterJob implements ReconcilerJob {

    /**
     * One statement: {@code due} locks the batch, {@code seen} is the same scan without locks (in the statement's
     * snapshot) for the lag and the rows held by other transactions; one result row per promoted execution, or a
     * single row of statistics alone when nothing was promoted.
     */
    private static final String PROMOTE = """
            WITH due AS (
              SELECT partition_key, execution_id, delay_until_ms FROM {s}.ff_exec_core
              WHERE eligibility_state IN ('not_eligible_until_time', 'blocked_by_quota')
                AND delay_until_ms <= {s}.now_ms() AND lifecycle_phase = 'runnable'
              ORDER BY delay_until_ms
              LIMIT $1
              FOR UPDATE SKIP LOCKED
            ), seen AS (
              SELECT partition_key, execution_id, delay_until_ms FROM {s}.ff_exec_core
              WHERE eligibility_state IN ('not_eligible_until_time', 'blocked_by_quota')
                AND delay_until_ms <= {s}.now_ms() AND lifecycle_phase = 'runnable'
              ORDER BY delay_until_ms
              LIMIT $1
            ), promoted AS (
              UPDATE {s}.ff_exec_core e SET eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker',
                     delay_until_ms = NULL, last_mutation_at_ms = {s}.now_ms()
              FROM due
              WHERE e.partition_key = due.partition_key AND e.execution_id = due.execution_id
              RETURNING e.lane_id
            ), stats AS (
              SELECT {s}.now_ms() AS ff_now_ms, (SELECT min(delay_until_ms) FROM seen) AS ff_oldest_due,
                     (SELECT count(*) FROM seen v
                      WHERE NOT EXISTS (SELECT 1 FROM due d
                                        WHERE d.partition_key = v.partition_key AND d.execution_id = v.execution_id)
                        AND (v.delay_until_ms < (SELECT max(d.delay_until_ms) FROM due d)
                             OR (SELECT count(*) FROM due) < $1)) AS ff_held
            )
            SELECT stats.ff_now_ms, stats.ff_oldest_due, stats.ff_held, p.lane_id
            FROM stats LEFT JOIN promoted p ON true""";

    private final ExecutionSettings settings;
    private final Database db;
    private final int batchSize;
    private final String promoteSql;

    DelayedPromoterJob(ExecutionSettings settings, int batchSize) {
        this.settings = settings;
        this.db = settings.database();
        this.batchSize = batchSize;
        this.promoteSql = settings.sql().render(PROMOTE);
    }

    @Override
    public String name() {
        return "delayed_promoter";
    }

    @Override
    public Duration defaultInterval() {
        return Duration.ofMillis(500);
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public Mono<TickReport> runBatch() {
        long started = System.nanoTime();
        return db.inTransactionOne(name(), tx -> tx.query(promoteSql, r -> new Promoted(r.get("ff_now_ms", Long.class),
                                r.get("ff_oldest_due", Long.class), r.get("ff_held", Long.class),
                                r.get("lane_id", String.class)), batchSize)
                        .collectList()
                        .map(found -> {
                            int promoted = 0;
                            for (Promoted p : found) {
                                if (p.lane() != null) {
                                    tx.notifyOnCommit(settings.channels().ready(p.lane()));
                                    promoted++;
                                }
                            }
                            Promoted stats = found.get(0);
                            return new TickReport(name(), promoted, promoted, stats.held().intValue(), 0,
                                    Duration.ofNanos(System.nanoTime() - started),
                                    ReconcilerJob.lag(stats.nowMs(), stats.oldestDueMs()));
                        }));
    }

    /** One result row: the statement's statistics and a promoted execution's lane (null when none was promoted). */
    private record Promoted(Long nowMs, @Nullable Long oldestDueMs, Long held, @Nullable String lane) {
    }
}
