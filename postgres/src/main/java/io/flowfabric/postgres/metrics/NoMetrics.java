package io.flowfabric.postgres.metrics;

import java.util.function.Supplier;

enum NoMetrics implements EngineMetrics {
    INSTANCE;

    @Override
    public void operation(String unit, String outcome, long nanos) {
    }

    @Override
    public void txRetry(String unit, String sqlState) {
    }

    @Override
    public void claimBatch(int size) {
    }

    @Override
    public void reconcilerTick(String job, String outcome, long nanos, int acted, int skipped, int errors) {
    }

    @Override
    public void reconcilerLag(String job, long lagMs) {
    }

    @Override
    public void subscriptionEvents(String family, int count) {
    }

    @Override
    public void subscriptionRead(String family, String outcome, long nanos) {
    }

    @Override
    public void subscriptionError(String family, String error) {
    }

    @Override
    public void notification(String channelClass) {
    }

    @Override
    public void listenerReconnected() {
    }

    @Override
    public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    }
}
