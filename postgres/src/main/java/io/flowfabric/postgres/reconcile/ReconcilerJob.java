package io.flowfabric.postgres.reconcile;

import io.flowfabric.core.reconcile.TickReport;
import java.time.Duration;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * One background job (spec 08). A batch discovers at most {@link #batchSize()} due rows with one indexed statement
 * across partitions ({@code FOR UPDATE SKIP LOCKED}), re-checks each under its lock and acts on it. Batches must be
 * safe to run concurrently on several nodes.
 *
 * <p>A batch reports, besides what it locked and changed, the rows it skipped (held by another transaction, or no
 * longer qualifying under the lock) and, for the jobs that can tell from their discovery statement, the lag: the age
 * on the database clock of the oldest due row the statement saw ({@link TickReport#lag()}; zero when nothing was
 * due). Measuring either never costs a second statement.
 */
public interface ReconcilerJob {

    /** The job's name, e.g. {@code lease_expiry}. */
    String name();

    /** The spec's default interval. */
    Duration defaultInterval();

    /** The most rows one batch handles. */
    int batchSize();

    /** Runs one batch; {@code scanned == batchSize()} means more may be due. */
    Mono<TickReport> runBatch();

    /**
     * What one batch of a job built with {@link #ofBatch} did.
     *
     * @param scanned candidate rows the batch locked
     * @param acted   rows it changed
     * @param skipped due rows it left alone (held by another transaction, or no longer qualifying under the lock)
     * @param lag     age of the oldest due row the batch saw, zero when none was due; {@code null} when not measured
     */
    record Batch(int scanned, int acted, int skipped, @Nullable Duration lag) {

        /** A batch that measures no lag and whose skipped rows are the locked rows it did not change. */
        public static Batch of(int scanned, int acted) {
            return new Batch(scanned, acted, scanned - acted, null);
        }

        /** Combines two parts of one batch (e.g. two tables); scanned is summed, the lag is the larger. */
        public Batch plus(Batch other) {
            return new Batch(scanned + other.scanned, acted + other.acted, skipped + other.skipped,
                    lagMax(lag, other.lag));
        }
    }

    /**
     * The lag of a discovery that saw {@code oldestDueMs} (null when nothing was due) at database time
     * {@code nowMs}: never negative.
     */
    static Duration lag(long nowMs, @Nullable Long oldestDueMs) {
        return oldestDueMs == null ? Duration.ZERO : Duration.ofMillis(Math.max(0, nowMs - oldestDueMs));
    }

    /** The larger of two optional lags. */
    static @Nullable Duration lagMax(@Nullable Duration a, @Nullable Duration b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * A job whose batch reports {@code {scanned, acted}}: the report (with skipped = scanned − acted, no lag) and its
     * timing are filled in here.
     *
     * @param batch runs one batch of at most the given size
     */
    static ReconcilerJob of(String name, Duration interval, int batchSize, IntFunction<Mono<int[]>> batch) {
        return ofBatch(name, interval, batchSize, size -> batch.apply(size).map(r -> Batch.of(r[0], r[1])));
    }

    /**
     * A job whose batch reports a {@link Batch}; the report and its timing are filled in here.
     *
     * @param batch runs one batch of at most the given size
     */
    static ReconcilerJob ofBatch(String name, Duration interval, int batchSize, IntFunction<Mono<Batch>> batch) {
        return new ReconcilerJob() {
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
                return batch.apply(batchSize).map(r -> new TickReport(name, r.scanned(), r.acted(), r.skipped(), 0,
                        Duration.ofNanos(System.nanoTime() - started), r.lag()));
            }
        };
    }
}
