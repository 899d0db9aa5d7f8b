package io.flowfabric.core.reconcile;

import java.time.Duration;

/**
 * What one tick of a reconciler did.
 *
 * @param job     the job's name, e.g. {@code lease_expiry}
 * @param scanned candidate rows the tick locked
 * @param acted   rows it changed
 * @param skipped candidates it left alone because they no longer qualified when re-checked under the lock
 * @param errors  rows (or batches) that failed and will be retried on a later tick
 * @param took    wall time of the tick
 * @since 0.1
 */
public record TickReport(String job, int scanned, int acted, int skipped, int errors, Duration took) {

    /** Adds another batch of the same tick. */
    public TickReport plus(TickReport other) {
        return new TickReport(job, scanned + other.scanned, acted + other.acted, skipped + other.skipped,
                errors + other.errors, took.plus(other.took));
    }
}
