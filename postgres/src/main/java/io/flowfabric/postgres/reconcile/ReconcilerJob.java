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
}
