package io.flowfabric.postgres.metrics;

import java.util.function.Supplier;

/**
 * What the engine measures. Implementations must be cheap and thread-safe; they are called on driver threads.
 * Meter names and tags are documented in {@code docs/metrics.md}; tag values are bounded (unit, job, family and
 * outcome names, never ids).
 */
public interface EngineMetrics {

    /** One unit of work finished; {@code outcome} is {@code success} or the error class ({@code state}, ...). */
    void operation(String unit, String outcome, long nanos);

    /** A unit of work is being re-run after a serialization failure, deadlock or lock timeout. */
    void txRetry(String unit, String sqlState);

    /** Executions handed out by one claim transaction. */
    void claimBatch(int size);

    /**
     * One reconciler tick: its duration, outcome ({@code ok} or {@code error}), rows acted on, rows skipped (held by
     * another transaction or no longer qualifying under the lock) and errors.
     */
    void reconcilerTick(String job, String outcome, long nanos, int acted, int skipped, int errors);

    /**
     * The lag a job's last tick measured: the age in milliseconds, on the database clock, of the oldest due row it saw
     * (0 when nothing was due). Only jobs that measure lag call this.
     */
    void reconcilerLag(String job, long lagMs);

    /** Events emitted by subscriptions of a family ({@code completion}, {@code lease}). */
    void subscriptionEvents(String family, int count);

    /** One subscription read of a family: its duration and outcome ({@code ok} or the error class). */
    void subscriptionRead(String family, String outcome, long nanos);

    /** A subscription read failed and is being retried (or ended the subscription). */
    void subscriptionError(String family, String error);

    /** A notification arrived on the listener; {@code channelClass} is ready, completion, lease, stream, ... */
    void notification(String channelClass);

    /** The listener reconnected. */
    void listenerReconnected();

    /** Registers a gauge read on demand (listener state, pool sizes, active subscriptions). */
    void gauge(String name, String description, Supplier<Number> value, String... tags);

    /** The metrics used when no registry is configured: every call does nothing. */
    static EngineMetrics none() {
        return NoMetrics.INSTANCE;
    }

    /** Metrics recorded into a Micrometer registry (the parameter is typed loosely so Micrometer stays optional). */
    static EngineMetrics micrometer(Object meterRegistry) {
        return new MicrometerEngineMetrics((io.micrometer.core.instrument.MeterRegistry) meterRegistry);
    }
}
