package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Completed;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Group commit of simple creates and of completes: concurrent calls share statements, and each call still gets exactly
 * its own outcome and writes exactly its own rows and events.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupCommitTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock, b -> b.meterRegistry(registry));
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    private List<ClaimedExecution> createAndClaim(String lane, int n) {
        return createAndClaim(engine, lane, n);
    }

    private static List<ClaimedExecution> createAndClaim(PostgresEngine on, String lane, int n) {
        Flux.range(0, n).flatMap(i -> on.executions().createExecution(CreateExecution.builder(lane).build()), 16)
                .then().block(TIMEOUT);
        List<ClaimedExecution> claimed = new ArrayList<>();
        while (claimed.size() < n) {
            List<ClaimedExecution> batch = on.workers().claimBatch(claimRequest(lane, "grouped"), 100)
                    .collectList().block(TIMEOUT);
            assertThat(batch).isNotEmpty();
            claimed.addAll(batch);
        }
        return claimed;
    }

    private long batchStatements() {
        return batchStatements("complete_batch");
    }

    private long batchStatements(String unit) {
        Timer timer = registry.find("flowfabric.operation").tag("unit", unit).tag("outcome", "success").timer();
        return timer == null ? 0 : timer.count();
    }

    private static byte[] resultOf(ExecutionId id) {
        return ("result of " + id).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("300 concurrent completes share statements; each stores its own result and writes one completion event")
    void concurrentCompletesShareStatements() {
        String lane = lane("grouped");
        List<ClaimedExecution> claimed = createAndClaim(lane, 300);
        long batchesBefore = batchStatements();

        // Every third complete carries no result, the others their own bytes: the batch cuts one bytea per row.
        List<Completed> outcomes = Flux.fromIterable(claimed)
                .flatMap(c -> {
                    ExecutionId id = c.executionId();
                    boolean none = id.uuid().getLeastSignificantBits() % 3 == 0;
                    return engine.workers().complete(c.fence(), none ? null : resultOf(id),
                            none ? null : "text/plain");
                }, 300)
                .map(Completed.class::cast)
                .collectList().block(TIMEOUT);

        assertThat(outcomes).hasSize(300).allMatch(o -> o.publicState() == PublicState.COMPLETED);
        assertThat(batchStatements()).as("statements that completed several executions").isGreaterThan(batchesBefore);
        for (ClaimedExecution c : claimed) {
            ExecutionId id = c.executionId();
            Map<String, Object> row = db.queryRows("SELECT public_state, result_payload, result_encoding,"
                    + " (SELECT count(*) FROM flowfabric.ff_completion_event e"
                    + "   WHERE e.partition_key = x.partition_key AND e.execution_id = x.execution_id) AS events,"
                    + " (SELECT count(*) FROM flowfabric.ff_lease_event l"
                    + "   WHERE l.partition_key = x.partition_key AND l.execution_id = x.execution_id"
                    + "   AND l.event_type = 'released') AS released"
                    + " FROM flowfabric.ff_exec_core x WHERE partition_key = ? AND execution_id = ?",
                    id.partition(), id.uuid()).get(0);
            assertThat(row.get("public_state")).isEqualTo("completed");
            assertThat(((Number) row.get("events")).longValue()).as("completion events of %s", id).isEqualTo(1);
            assertThat(((Number) row.get("released")).longValue()).as("released lease events of %s", id).isEqualTo(1);
            if (id.uuid().getLeastSignificantBits() % 3 == 0) {
                assertThat(row.get("result_payload")).isNull();
                assertThat(row.get("result_encoding")).isNull();
            } else {
                assertThat((byte[]) row.get("result_payload")).isEqualTo(resultOf(id));
                assertThat(row.get("result_encoding")).isEqualTo("text/plain");
            }
        }
    }

    @Test
    @DisplayName("with groupCommitConcurrency(1), a burst of 200 completes runs as one statement at a time: a handful, not 200")
    void concurrencyOneGroupsABurstIntoAFewStatements() {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        try (PostgresEngine single = EngineFixture.start(db, clock,
                b -> b.meterRegistry(own).groupCommitConcurrency(1))) {
            String lane = lane("grouped-one");
            List<ClaimedExecution> claimed = createAndClaim(single, lane, 200);

            List<Completed> outcomes = Flux.fromIterable(claimed)
                    .flatMap(c -> single.workers().complete(c.fence(), null, null), 200)
                    .map(Completed.class::cast)
                    .collectList().block(TIMEOUT);

            assertThat(outcomes).hasSize(200).allMatch(o -> o.publicState() == PublicState.COMPLETED);
            long statements = 0;
            for (String unit : List.of("complete", "complete_batch")) {
                Timer timer = own.find("flowfabric.operation").tag("unit", unit).tag("outcome", "success").timer();
                statements += timer == null ? 0 : timer.count();
            }
            // One alone, then groups of at most 64 one after another: 1 + ceil(199 / 64) = 5 when all 200 are queued
            // before the first ends; a little slack for calls that arrive while a group is being cut.
            assertThat(statements).as("statements for 200 completes").isBetween(4L, 12L);
            assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event e JOIN flowfabric.ff_exec_core x"
                    + " USING (partition_key, execution_id) WHERE x.lane_id = ?", lane)).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("in one burst, stale fences fail alone, replays by the same lease return the first outcome, the rest complete")
    void staleFencesAndReplaysInABurstKeepTheirOwnOutcomes() {
        String lane = lane("grouped-mixed");
        List<ClaimedExecution> claimed = createAndClaim(lane, 120);
        Map<ExecutionId, Object> outcomes = new ConcurrentHashMap<>();
        List<Mono<Object>> calls = new ArrayList<>();
        for (int i = 0; i < claimed.size(); i++) {
            LeaseFence fence = claimed.get(i).fence();
            ExecutionId id = fence.executionId();
            if (i % 4 == 1) {
                // A fence from an older epoch: never valid, whatever else is in the statement with it.
                LeaseFence stale = new LeaseFence(id, fence.attemptIndex(), fence.leaseEpoch() - 1, fence.leaseId());
                calls.add(engine.workers().complete(stale, null, null).<Object>map(c -> c)
                        .onErrorResume(e -> Mono.just(e)).doOnNext(o -> outcomes.put(id, o)));
                // The real holder completes too, in the same burst.
                calls.add(engine.workers().complete(fence, null, null).map(c -> c));
            } else if (i % 4 == 2) {
                // The same complete twice at once: the later is a replay of the first.
                calls.add(engine.workers().complete(fence, null, null).map(c -> c));
                calls.add(engine.workers().complete(fence, null, null).map(c -> c));
            } else {
                calls.add(engine.workers().complete(fence, null, null).map(c -> c));
            }
        }
        List<Object> all = Flux.merge(Flux.fromIterable(calls), 256).collectList().block(TIMEOUT);

        assertThat(all).hasSize(calls.size());
        assertThat(all).filteredOn(o -> o instanceof Completed)
                .allMatch(o -> ((Completed) o).publicState() == PublicState.COMPLETED)
                .hasSize(calls.size() - claimed.size() / 4);
        assertThat(outcomes.values()).hasSize(claimed.size() / 4).allMatch(o -> o instanceof StateException);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event e JOIN flowfabric.ff_exec_core x"
                + " ON x.partition_key = e.partition_key AND x.execution_id = e.execution_id WHERE x.lane_id = ?",
                lane)).isEqualTo(claimed.size());
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND public_state = 'completed'", lane)).isEqualTo(claimed.size());
    }

    @Test
    @DisplayName("300 concurrent simple creates share statements; each row holds exactly what its call asked for")
    void concurrentCreatesShareStatements() {
        String lane = lane("grouped-create");
        // The lane's first create also records the lane; later ones are simple and may be grouped.
        EngineFixture.create(engine, lane);
        long batchesBefore = batchStatements("create_batch");
        List<CreateExecution> requests = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            CreateExecution.Builder b = CreateExecution.builder(lane).executionKind("kind-" + (i % 5))
                    .input(("input " + i).getBytes(StandardCharsets.UTF_8), "text/plain").priority(i % 10)
                    .tag("test.i", Integer.toString(i));
            if (i % 3 == 0) {
                b.requiredCapability("gpu").requiredCapability("cap-" + i);
            }
            if (i % 4 == 0) {
                b.delayFor(Duration.ofHours(1));
            }
            if (i % 5 == 0) {
                b.creatorIdentity("creator-" + i).deadlineAfter(Duration.ofHours(2));
            }
            requests.add(b.build());
        }
        List<CreateResult> results = Flux.fromIterable(requests)
                .flatMap(r -> engine.executions().createExecution(r), 300)
                .collectList().block(TIMEOUT);

        assertThat(results).hasSize(300).allMatch(CreateResult::created);
        assertThat(batchStatements("create_batch")).as("statements that created several executions")
                .isGreaterThan(batchesBefore);
        List<Map<String, Object>> rows = db.queryRows("SELECT execution_kind, convert_from(input_payload, 'UTF8')"
                + " AS input, input_encoding, priority, array_to_string(required_capabilities, ',') AS caps,"
                + " tags ->> 'test.i' AS i, public_state, creator_identity, deadline_at_ms IS NOT NULL AS has_deadline,"
                + " delay_until_ms IS NOT NULL AS has_delay"
                + " FROM flowfabric.ff_exec_core WHERE lane_id = ? AND tags ->> 'test.i' IS NOT NULL", lane);
        assertThat(rows).hasSize(300);
        for (Map<String, Object> row : rows) {
            int i = Integer.parseInt((String) row.get("i"));
            assertThat(row.get("input")).as("input of %s", i).isEqualTo("input " + i);
            assertThat(row.get("input_encoding")).isEqualTo("text/plain");
            assertThat(row.get("execution_kind")).isEqualTo("kind-" + (i % 5));
            assertThat(((Number) row.get("priority")).intValue()).isEqualTo(i % 10);
            assertThat(row.get("caps")).isEqualTo(i % 3 == 0 ? String.join(",", new java.util.TreeSet<>(
                    List.of("gpu", "cap-" + i))) : "");
            assertThat(row.get("public_state")).as("state of %s", i).isEqualTo(i % 4 == 0 ? "delayed" : "waiting");
            assertThat(row.get("has_delay")).isEqualTo(i % 4 == 0);
            assertThat(row.get("creator_identity")).isEqualTo(i % 5 == 0 ? "creator-" + i : null);
            assertThat(row.get("has_deadline")).isEqualTo(i % 5 == 0);
        }
    }

    @Test
    @DisplayName("in one burst of creates, a taken id is a Duplicate and a past deadline a validation error; nothing else is written")
    void takenIdsAndBadDeadlinesInABurstKeepTheirOwnOutcomes() {
        String lane = lane("grouped-create-mixed");
        ExecutionId taken = EngineFixture.create(engine, lane);
        List<Mono<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            CreateExecution.Builder b = CreateExecution.builder(lane).tag("test.i", Integer.toString(i));
            if (i % 10 == 3) {
                b.executionId(taken);
            } else if (i % 10 == 7) {
                b.deadlineAt(java.time.Instant.now().minus(Duration.ofHours(1)));
            }
            calls.add(engine.executions().createExecution(b.build()).<Object>map(r -> r)
                    .onErrorResume(e -> Mono.just(e)));
        }
        List<Object> outcomes = Flux.merge(Flux.fromIterable(calls), 256).collectList().block(TIMEOUT);

        assertThat(outcomes).hasSize(150);
        assertThat(outcomes).filteredOn(o -> o instanceof CreateResult.Duplicate).hasSize(15)
                .allMatch(o -> ((CreateResult.Duplicate) o).executionId().equals(taken));
        assertThat(outcomes).filteredOn(o -> o instanceof io.flowfabric.core.error.ValidationException).hasSize(15);
        assertThat(outcomes).filteredOn(o -> o instanceof CreateResult.Created).hasSize(120);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane))
                .as("the taken id's execution and the 120 created").isEqualTo(121);
    }

    @Test
    @DisplayName("[FAULT] pooled connections killed during bursts of grouped creates and completes: nothing lost, nothing doubled, each call ends once")
    void killedConnectionsDuringGroupedBursts() {
        String app = "grouped-fault-" + Long.toHexString(System.nanoTime());
        String lane = lane("grouped-fault");
        try (PostgresEngine victim = EngineFixture.start(db, clock, b -> b.applicationName(app).poolSize(2, 16))) {
            EngineFixture.create(victim, lane);
            // Creates: each call ends as Created, as a Duplicate of its own id (its group committed but the reply
            // was lost, and the lone re-run found the row), or with a retryable error (nothing was written).
            List<ExecutionId> ids = new ArrayList<>();
            List<Mono<Object>> creates = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                ExecutionId id = ExecutionId.standalone();
                ids.add(id);
                creates.add(victim.executions().createExecution(CreateExecution.builder(lane).executionId(id).build())
                        .<Object>map(r -> r).onErrorResume(e -> Mono.just(e)));
            }
            List<Object> created = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger killed = new java.util.concurrent.atomic.AtomicInteger();
            try (Killer k = new Killer(app, killed)) {
                Flux.merge(Flux.fromIterable(creates), 400).doOnNext(created::add).blockLast(TIMEOUT);
            }
            assertThat(created).hasSize(2000);
            LoggerFactory.getLogger(GroupCommitTest.class).info("creates under kills: {} backends killed, {} created, "
                    + "{} duplicates of their own id, {} retryable errors", killed.get(),
                    created.stream().filter(o -> o instanceof CreateResult.Created).count(),
                    created.stream().filter(o -> o instanceof CreateResult.Duplicate).count(),
                    created.stream().filter(o -> !(o instanceof CreateResult)).count());
            assertThat(killed.get()).as("pooled backends terminated during the creates").isPositive();
            long stored = db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane) - 1;
            long reported = created.stream().filter(o -> o instanceof CreateResult).count();
            assertThat(created).filteredOn(o -> !(o instanceof CreateResult))
                    .allSatisfy(e -> assertThat(((io.flowfabric.core.error.FlowFabricException) e).retryable())
                            .as("%s", e).isTrue());
            assertThat(created).filteredOn(o -> o instanceof CreateResult.Duplicate)
                    .allSatisfy(d -> assertThat(ids).contains(((CreateResult.Duplicate) d).executionId()));
            assertThat(stored).as("rows written = calls that reported a result").isEqualTo(reported);

            // Completes: every claimed execution ends with exactly one completion event, whatever the calls saw.
            List<ClaimedExecution> claimed = new ArrayList<>();
            List<ClaimedExecution> batch;
            do {
                // The pool may still hold connections killed above; each fails once, retryably, and is dropped.
                batch = victim.workers().claimBatch(claimRequest(lane, "fault"), 100).collectList()
                        .retry(20).block(TIMEOUT);
                claimed.addAll(batch);
            } while (!batch.isEmpty());
            List<Object> completed = new ArrayList<>();
            int killedBefore = killed.get();
            try (Killer k = new Killer(app, killed)) {
                Flux.fromIterable(claimed)
                        .flatMap(c -> victim.workers().complete(c.fence(), null, null)
                                // A lost reply is retried by the caller, as a worker would: a replay returns the
                                // first outcome.
                                .retry(20).<Object>map(r -> r).onErrorResume(e -> Mono.just(e)), 400)
                        .doOnNext(completed::add).blockLast(TIMEOUT);
            }
            assertThat(killed.get() - killedBefore).as("pooled backends terminated during the completes").isPositive();
            assertThat(completed).hasSize(claimed.size()).allMatch(o -> o instanceof Completed);
            for (ClaimedExecution c : claimed) {
                assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                        + " WHERE partition_key = ? AND execution_id = ?", c.executionId().partition(),
                        c.executionId().uuid())).as("completion events of %s", c.executionId()).isEqualTo(1);
            }
        }
    }

    /** Terminates the engine's pooled backends every few milliseconds, from its own thread, until closed. */
    private final class Killer implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        Killer(String app, java.util.concurrent.atomic.AtomicInteger killed) {
            thread = new Thread(() -> {
                while (running) {
                    killed.addAndGet(db.terminateBackends(app));
                    try {
                        Thread.sleep(15);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "grouped-fault-killer");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
