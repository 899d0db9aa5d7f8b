package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.lane;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrencyTest.class);

    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    /** What a run of concurrent claim-and-complete workers observed. */
    private record Run(Map<ExecutionId, Integer> claimsPerExecution, List<Throwable> errors, int claimTransactions) {
    }

    private void createMany(String lane, int n) {
        List<CreateResult> created = Flux.range(0, n)
                .flatMap(i -> engine.executions().createExecution(CreateExecution.builder(lane).priority(i % 7).build()),
                        16)
                .collectList().block(Duration.ofSeconds(60));
        assertThat(created).hasSize(n).allMatch(CreateResult::created);
    }

    /**
     * Runs {@code workers} threads that claim (every {@code batchEvery}-th worker with {@code claimBatch(10)}, the
     * others one at a time) and complete until a claim comes back empty.
     */
    private Run claimAndCompleteAll(String lane, int workers, int batchEvery) throws Exception {
        Map<ExecutionId, Integer> claims = new ConcurrentHashMap<>();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger claimTransactions = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                boolean batch = batchEvery > 0 && w % batchEvery == 0;
                ClaimRequest request = ClaimRequest.builder("worker-" + w, "worker-" + w + "-i").lane(lane).build();
                futures.add(pool.submit(() -> {
                    try {
                        while (true) {
                            List<ClaimedExecution> got = batch
                                    ? engine.workers().claimBatch(request, 10).collectList()
                                            .block(ExecTestSupport.TIMEOUT)
                                    : engine.workers().claim(request).map(List::of).defaultIfEmpty(List.of())
                                            .block(ExecTestSupport.TIMEOUT);
                            claimTransactions.incrementAndGet();
                            if (got.isEmpty()) {
                                return;
                            }
                            for (ClaimedExecution c : got) {
                                claims.merge(c.executionId(), 1, Integer::sum);
                                engine.workers().complete(c.fence(), null, null).block(ExecTestSupport.TIMEOUT);
                            }
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Run(claims, errors, claimTransactions.get());
    }

    private long laneCount(String sql, String lane) {
        return db.queryLong(sql, lane);
    }

    private void assertEveryExecutionCompletedOnce(String lane, int n, Run run) {
        assertThat(run.errors()).as("errors surfaced to workers").isEmpty();
        assertThat(run.claimsPerExecution()).hasSize(n);
        assertThat(run.claimsPerExecution().values()).as("claims per execution").containsOnly(1);
        assertThat(laneCount("SELECT count(*) FROM (SELECT e.execution_id, count(ce.event_id) AS c"
                + " FROM flowfabric.ff_exec_core e LEFT JOIN flowfabric.ff_completion_event ce"
                + " ON ce.partition_key = e.partition_key AND ce.execution_id = e.execution_id"
                + " WHERE e.lane_id = ? GROUP BY e.execution_id) x WHERE x.c <> 1", lane))
                .as("executions without exactly one completion event").isZero();
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_completion_event ce JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ? AND ce.outcome = 'success'", lane))
                .isEqualTo(n);
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_attempt t JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ?", lane)).as("attempt rows").isEqualTo(n);
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND public_state = 'completed' AND attempt_count = 1 AND lease_epoch = 2", lane)).isEqualTo(n);
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_lease_event le JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ? AND le.event_type = 'acquired'", lane))
                .isEqualTo(n);
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_lease_event le JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ? AND le.event_type = 'released'", lane))
                .isEqualTo(n);
    }

    @Test
    @Timeout(120)
    @DisplayName("CL-05 16 concurrent claimers over 2000 executions (some with claimBatch) never claim one twice; each ends with exactly one completion event")
    void sixteenClaimersTwoThousandExecutions() throws Exception {
        String lane = lane("race2000");
        createMany(lane, 2000);

        long started = System.nanoTime();
        Run run = claimAndCompleteAll(lane, 16, 4);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEveryExecutionCompletedOnce(lane, 2000, run);
        // No hard bound on wall time (the machine may be shared); the class-level @Timeout catches a hang.
        LOG.info("CL-05 2000 executions claimed and completed by 16 workers in " + took.toMillis()
                + " ms with " + run.claimTransactions() + " claim transactions");
        assertThat(laneCount("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND (current_lease_id IS NOT NULL OR current_worker_id IS NOT NULL)", lane))
                .as("leases left behind").isZero();
        assertThat(db.queryLong("SELECT count(DISTINCT t.worker_id) FROM flowfabric.ff_attempt t"
                + " JOIN flowfabric.ff_exec_core e USING (partition_key, execution_id) WHERE e.lane_id = ?", lane))
                .as("workers that got work").isGreaterThan(1);
        assertThat(ExecTestSupport.assertAllRowsCanonical(db)).isGreaterThanOrEqualTo(2000);
    }

    @Test
    @Timeout(60)
    @DisplayName("CL-05 16 workers claim and complete 100 ready executions: each claimed once, 100 attempts, 100 completion events")
    void sixteenWorkersHundredExecutions() throws Exception {
        String lane = lane("race100");
        createMany(lane, 100);

        Run run = claimAndCompleteAll(lane, 16, 0);

        assertEveryExecutionCompletedOnce(lane, 100, run);
    }

    @Test
    @Timeout(60)
    @DisplayName("Race: 8 concurrent claims for a single ready execution grant exactly one lease")
    void singleExecutionManyClaimers() {
        for (int round = 0; round < 10; round++) {
            String lane = lane("race1");
            ExecutionId id = EngineFixture.create(engine, lane);

            List<ClaimedExecution> winners = Flux.range(0, 8)
                    .flatMap(i -> engine.workers().claim(ClaimRequest.builder("w" + i, "w" + i + "-i").lane(lane)
                            .build()), 8)
                    .collectList().block(ExecTestSupport.TIMEOUT);

            assertThat(winners).hasSize(1);
            assertThat(winners.get(0).executionId()).isEqualTo(id);
            assertThat(ExecTestSupport.leaseEvents(db, id)).isEqualTo(1);
            assertThat(ExecTestSupport.attemptCount(db, id)).isEqualTo(1);
        }
    }
}
