package io.flowfabric.postgres.metrics;

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
}
