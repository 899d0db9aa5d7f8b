package io.flowfabric.postgres.streams;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The {@code stream_ttl} job (spec 08 §2): deletes best-effort frames whose {@code expires_at_ms} has passed on the
 * database clock, grouped per stream, and lowers the stream's {@code best_effort_count} and {@code frame_count} by
 * what was deleted.
 *
 * <p>One statement per batch. Discovery takes the due frames through the expiry index (at most the batch size) and
 * then locks their streams' meta rows, in key order and {@code SKIP LOCKED}: the meta row comes before frames in
 * the lock order every append follows, so the job never waits on an appender (a stream being appended to is simply
 * left for a later tick) and never deadlocks with a trim. Frames are deleted only for locked streams and only while
 * still due; the counters drop by the rows actually deleted, so a frame removed concurrently is never counted twice.
 * The lag is the age of the oldest expired frame the statement found.
 */
final class StreamTtlJob implements ReconcilerJob {

    private static final String EXPIRE = """
            WITH due AS (
              SELECT partition_key, execution_id, attempt_index, seq, expires_at_ms FROM {s}.ff_stream_frame
              WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= {s}.now_ms()
              ORDER BY expires_at_ms
              LIMIT $1
            ), streams AS (
              SELECT m.partition_key, m.execution_id, m.attempt_index FROM {s}.ff_stream_meta m
              WHERE (m.partition_key, m.execution_id, m.attempt_index) IN
                    (SELECT partition_key, execution_id, attempt_index FROM due)
              ORDER BY m.partition_key, m.execution_id, m.attempt_index
              FOR UPDATE SKIP LOCKED
            ), deleted AS (
              DELETE FROM {s}.ff_stream_frame f
              USING due d, streams s
              WHERE f.partition_key = d.partition_key AND f.execution_id = d.execution_id
                AND f.attempt_index = d.attempt_index AND f.seq = d.seq
                AND s.partition_key = d.partition_key AND s.execution_id = d.execution_id
                AND s.attempt_index = d.attempt_index
                AND f.mode = 'best_effort' AND f.expires_at_ms <= {s}.now_ms()
              RETURNING f.partition_key, f.execution_id, f.attempt_index
            ), per_stream AS (
              SELECT partition_key, execution_id, attempt_index, count(*) AS n FROM deleted
              GROUP BY partition_key, execution_id, attempt_index
            ), counted AS (
              UPDATE {s}.ff_stream_meta m
              SET best_effort_count = m.best_effort_count - p.n, frame_count = m.frame_count - p.n
              FROM per_stream p
              WHERE m.partition_key = p.partition_key AND m.execution_id = p.execution_id
                AND m.attempt_index = p.attempt_index
              RETURNING p.n
            )
            SELECT (SELECT count(*) FROM due) AS scanned, coalesce((SELECT sum(n) FROM counted), 0) AS acted,
                   (SELECT min(expires_at_ms) FROM due) AS oldest_due, {s}.now_ms() AS now_ms""";

    private final Database db;
    private final int batchSize;
    private final String expireSql;

    StreamTtlJob(Database db, SqlTemplate sql, int batchSize) {
        this.db = db;
        this.batchSize = batchSize;
        this.expireSql = sql.render(EXPIRE);
    }

    @Override
    public String name() {
        return "stream_ttl";
    }

    @Override
    public Duration defaultInterval() {
        return Duration.ofSeconds(5);
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public Mono<TickReport> runBatch() {
        long started = System.nanoTime();
        return db.inTransactionOne(name(), tx -> tx.queryOne(expireSql, r -> {
                    int scanned = r.get("scanned", Long.class).intValue();
                    int acted = ((Number) r.get("acted")).intValue();
                    return new TickReport(name(), scanned, acted, scanned - acted, 0,
                            Duration.ofNanos(System.nanoTime() - started),
                            ReconcilerJob.lag(r.get("now_ms", Long.class), r.get("oldest_due", Long.class)));
                }, batchSize));
    }
}
