package io.flowfabric.postgres.reconcile;

import io.flowfabric.core.reconcile.TickReport;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * One background job (spec 08). A batch discovers at most {@link #batchSize()} due rows with one indexed statement
 * across partitions ({@code FOR UPDATE SKIP LOCKED}), re-checks each under its lock and acts on it. Batches must be
 * safe to run concurrently on several nodes.
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
     * A job whose batch reports {@code {scanned, acted}}: the report (with skipped = scanned − acted) and its timing
     * are filled in here.
     *
     * @param batch runs one batch of at most the given size
     */
    static ReconcilerJob of(String name, Duration interval, int batchSize,
                            java.util.function.IntFunction<Mono<int[]>> batch) {
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
                return batch.apply(batchSize).map(r -> new TickReport(name, r[0], r[1], r[0] - r[1], 0,
                        Duration.ofNanos(System.nanoTime() - started)));
            }
        };
    }
}
