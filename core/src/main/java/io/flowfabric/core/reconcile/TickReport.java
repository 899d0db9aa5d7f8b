package io.flowfabric.core.reconcile;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one tick of a reconciler did.
 *
 * @param job     the job's name, e.g. {@code lease_expiry}
 * @param scanned candidate rows the tick locked
 * @param acted   rows it changed
 * @param skipped due rows it left alone: held by another transaction (passed over by {@code SKIP LOCKED}, counted by
 *                the jobs that measure it) or no longer qualifying when re-checked under the lock
 * @param errors  rows (or batches) that failed and will be retried on a later tick
 * @param took    wall time of the tick
 * @param lag     age on the database clock of the oldest due row the tick saw ({@code Duration.ZERO} when nothing
 *                was due), or {@code null} for a job that does not measure it
 * @since 0.1
 */
public record TickReport(String job, int scanned, int acted, int skipped, int errors, Duration took,
                         @Nullable Duration lag) {

    /** A report without a lag measurement. */
    public TickReport(String job, int scanned, int acted, int skipped, int errors, Duration took) {
        this(job, scanned, acted, skipped, errors, took, null);
    }

    /** Adds another batch of the same tick; the lag is the larger of the two (the oldest due row seen). */
    public TickReport plus(TickReport other) {
        Duration combined = lag == null ? other.lag
                : other.lag == null ? lag : (lag.compareTo(other.lag) >= 0 ? lag : other.lag);
        return new TickReport(job, scanned + other.scanned, acted + other.acted, skipped + other.skipped,
                errors + other.errors, took.plus(other.took), combined);
    }
}
