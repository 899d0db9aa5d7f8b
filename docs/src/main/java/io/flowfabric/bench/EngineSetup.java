package io.flowfabric.bench;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import reactor.core.publisher.Flux;

/**
 * Unmeasured setup through the engine's public API: creating and claiming many executions before a measurement
 * starts. Blocks; main thread only.
 */
final class EngineSetup {

    /** Creates in flight at once during setup, as in the lifecycle scenario. */
    static final int CREATE_CONCURRENCY = 32;
    private static final int MAX_CLAIM_BATCH = 100;

    private EngineSetup() {
    }

    /**
     * Creates {@code n} executions, {@value #CREATE_CONCURRENCY} at a time, and returns their ids in index order.
     *
     * @throws BenchFailure when a create was a duplicate
     */
    static List<ExecutionId> createAll(FlowFabric engine, int n, IntFunction<CreateExecution> request) {
        List<ExecutionId> ids = Flux.range(0, n)
                .flatMapSequential(i -> engine.executions().createExecution(request.apply(i)), CREATE_CONCURRENCY)
                .map(result -> {
                    if (!(result instanceof CreateResult.Created)) {
                        throw new BenchFailure("check=setup_create result=" + result);
                    }
                    return result.executionId();
                })
                .collectList()
                .block(Duration.ofMinutes(10));
        return ids == null ? List.of() : ids;
    }

    /**
     * Claims {@code n} executions of {@code lane} with {@code claimBatch} (100 at a time) under a lease of
     * {@code leaseTtl}, one claim after the other.
     *
     * @throws BenchFailure when the lane ran out before {@code n} were claimed
     */
    static List<ClaimedExecution> claimAll(FlowFabric engine, String lane, int n, Duration leaseTtl) {
        List<ClaimedExecution> claimed = new ArrayList<>(n);
        ClaimRequest.Builder request = ClaimRequest.builder("bench-setup", "bench-setup-1").lane(lane)
                .leaseTtl(leaseTtl).maxWait(Duration.ZERO);
        while (claimed.size() < n) {
            int batch = Math.min(MAX_CLAIM_BATCH, n - claimed.size());
            List<ClaimedExecution> got = engine.workers().claimBatch(request.batchSize(batch).build(), batch)
                    .collectList()
                    .block(Duration.ofMinutes(1));
            if (got == null || got.isEmpty()) {
                throw new BenchFailure("check=setup_claim lane=" + lane + " expected=" + n + " claimed="
                        + claimed.size());
            }
            claimed.addAll(got);
        }
        return claimed;
    }
}
