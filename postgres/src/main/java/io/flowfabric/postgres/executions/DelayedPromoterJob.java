package io.flowfabric.postgres.executions;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The {@code delayed_promoter} job (spec 08 §2): runnable executions whose delay, retry backoff or quota back-off has
 * elapsed on the database clock become {@code eligible_now} (public state {@code waiting}, or {@code resumable} for a
 * paused attempt, by derivation), and their lanes are notified. One set-based statement per batch; each row's
 * condition is re-checked under its lock by the UPDATE.
 */
final class DelayedPromoterJob implements ReconcilerJob {

    private static final String PROMOTE = """
            WITH due AS (
              SELECT partition_key, execution_id FROM {s}.ff_exec_core
              WHERE eligibility_state IN ('not_eligible_until_time', 'blocked_by_quota')
                AND delay_until_ms <= {s}.now_ms() AND lifecycle_phase = 'runnable'
              ORDER BY delay_until_ms
              LIMIT $1
              FOR UPDATE SKIP LOCKED
            )
            UPDATE {s}.ff_exec_core e SET eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker',
                   delay_until_ms = NULL, last_mutation_at_ms = {s}.now_ms()
            FROM due
            WHERE e.partition_key = due.partition_key AND e.execution_id = due.execution_id
            RETURNING e.lane_id""";

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
        return db.inTransactionOne(name(), tx -> tx.query(promoteSql, r -> r.get("lane_id", String.class), batchSize)
                        .doOnNext(lane -> tx.notifyOnCommit(settings.channels().ready(lane)))
                        .count())
                .map(n -> new TickReport(name(), n.intValue(), n.intValue(), 0, 0,
                        Duration.ofNanos(System.nanoTime() - started)));
    }
}
