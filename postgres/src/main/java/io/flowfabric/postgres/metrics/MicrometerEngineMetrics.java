package io.flowfabric.postgres.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Micrometer binding; meter names are documented in {@code docs/metrics.md}. */
final class MicrometerEngineMetrics implements EngineMetrics {

    private final MeterRegistry registry;
    private final DistributionSummary claimBatch;

    MicrometerEngineMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.claimBatch = DistributionSummary.builder("flowfabric.claim.batch.size")
                .description("executions handed out by one claim transaction")
                .register(registry);
    }

    @Override
    public void operation(String unit, String outcome, long nanos) {
        Timer.builder("flowfabric.operation")
                .description("duration of one unit of work, retries included")
                .tag("unit", unit)
                .tag("outcome", outcome)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void txRetry(String unit, String sqlState) {
        Counter.builder("flowfabric.tx.retries")
                .description("units of work re-run after a serialization failure, deadlock or lock timeout")
                .tag("unit", unit)
                .tag("sqlstate", sqlState)
                .register(registry)
                .increment();
    }

    @Override
    public void claimBatch(int size) {
        claimBatch.record(size);
    }
}
