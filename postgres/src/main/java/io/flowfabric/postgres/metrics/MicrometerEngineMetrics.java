package io.flowfabric.postgres.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** Micrometer binding; meter names are documented in {@code docs/metrics.md}. */
final class MicrometerEngineMetrics implements EngineMetrics {

    private final MeterRegistry registry;
    private final DistributionSummary claimBatch;
    private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();

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

    @Override
    public void reconcilerTick(String job, String outcome, long nanos, int acted, int skipped, int errors) {
        Timer.builder("flowfabric.reconciler.tick")
                .description("duration of one reconciler tick (all its batches)")
                .tag("reconciler", job)
                .tag("outcome", outcome)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        if (acted > 0) {
            rows(job, "acted").increment(acted);
        }
        if (skipped > 0) {
            Counter.builder("flowfabric.reconciler.skipped_locked")
                    .description("due rows a reconciler left alone: held by another transaction (SKIP LOCKED) or no "
                            + "longer qualifying under the lock")
                    .tag("reconciler", job)
                    .register(registry)
                    .increment(skipped);
        }
        if (errors > 0) {
            Counter.builder("flowfabric.reconciler.errors")
                    .description("rows or batches a reconciler failed on; retried next tick")
                    .tag("reconciler", job)
                    .register(registry)
                    .increment(errors);
        }
    }

    private Counter rows(String job, String action) {
        return Counter.builder("flowfabric.reconciler.rows")
                .description("rows a reconciler changed")
                .tag("reconciler", job)
                .tag("action", action)
                .register(registry);
    }

    @Override
    public void reconcilerLag(String job, long lagMs) {
        lags.computeIfAbsent(job, j -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("flowfabric.reconciler.lag", value, AtomicLong::doubleValue)
                    .description("age of the oldest due row the last tick saw, on the database clock (0 when none)")
                    .baseUnit("milliseconds")
                    .tag("reconciler", j)
                    .strongReference(true)
                    .register(registry);
            return value;
        }).set(lagMs);
    }

    @Override
    public void subscriptionEvents(String family, int count) {
        Counter.builder("flowfabric.subscription.events")
                .description("events emitted by subscriptions")
                .tag("family", family)
                .register(registry)
                .increment(count);
    }

    @Override
    public void subscriptionRead(String family, String outcome, long nanos) {
        Timer.builder("flowfabric.subscription.read")
                .description("one batch read of a subscription")
                .tag("family", family)
                .tag("outcome", outcome)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void subscriptionError(String family, String error) {
        Counter.builder("flowfabric.subscription.errors")
                .description("subscription reads that failed (retried when retryable)")
                .tag("family", family)
                .tag("error", error)
                .register(registry)
                .increment();
    }

    @Override
    public void notification(String channelClass) {
        Counter.builder("flowfabric.listener.notifications")
                .description("notifications received by the engine's listener")
                .tag("channel.class", channelClass)
                .register(registry)
                .increment();
    }

    @Override
    public void listenerReconnected() {
        Counter.builder("flowfabric.listener.reconnects")
                .description("times the listener reconnected after losing its connection")
                .register(registry)
                .increment();
    }

    @Override
    public void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value).description(description).tags(tags).strongReference(true).register(registry);
    }
}
