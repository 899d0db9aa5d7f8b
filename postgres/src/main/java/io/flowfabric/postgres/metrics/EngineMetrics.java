package io.flowfabric.postgres.metrics;

/**
 * What the engine measures. Implementations must be cheap and thread-safe; they are called on driver threads.
 */
public interface EngineMetrics {

    /** One unit of work finished; {@code outcome} is {@code success} or the error class ({@code state}, ...). */
    void operation(String unit, String outcome, long nanos);

    /** A unit of work is being re-run after a serialization failure, deadlock or lock timeout. */
    void txRetry(String unit, String sqlState);

    /** Executions handed out by one claim transaction. */
    void claimBatch(int size);

    /** The metrics used when no registry is configured: every call does nothing. */
    static EngineMetrics none() {
        return NoMetrics.INSTANCE;
    }

    /** Metrics recorded into a Micrometer registry (the parameter is typed loosely so Micrometer stays optional). */
    static EngineMetrics micrometer(Object meterRegistry) {
        return new MicrometerEngineMetrics((io.micrometer.core.instrument.MeterRegistry) meterRegistry);
    }
}
