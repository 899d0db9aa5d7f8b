package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.awaitAll;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.leaseEvents;
import static io.flowfabric.postgres.executions.ExecTestSupport.vector;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.test.StepVerifier;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClaimTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @BeforeEach
    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @Test
    @DisplayName("CL-01 claim of a ready execution: FRESH attempt 0 initial, epoch 1, lease id on execution and attempt, running vector, one acquired event")
    void freshClaim() {
        String lane = lane("cl01");
        ExecutionId id = create(engine, lane);

        ClaimedExecution claimed = claim(engine, lane, "w1");

        assertThat(claimed.executionId()).isEqualTo(id);
        assertThat(claimed.kind()).isEqualTo(HandleKind.FRESH);
        assertThat(claimed.attemptIndex()).isZero();
        assertThat(claimed.attemptType()).isEqualTo(AttemptType.INITIAL);
        assertThat(claimed.leaseEpoch()).isEqualTo(1);
        UUID leaseId = claimed.handle().leaseId().uuid();
        assertThat(leaseId.getMostSignificantBits() | leaseId.getLeastSignificantBits()).isNotZero();

        assertThat(vector(db, id)).containsExactly("active", "leased", "not_applicable", "none", "running_attempt",
                "none", "active");
        Map<String, Object> row = execRow(db, id, "current_lease_id, attempt_count, current_attempt_index,"
                + " started_at_ms, lease_epoch, lease_expires_at_ms, lease_granted_at_ms, current_worker_id,"
                + " current_worker_instance_id");
        assertThat(row.get("current_lease_id")).isEqualTo(leaseId);
        assertThat(row.get("attempt_count")).isEqualTo(1);
        assertThat(row.get("current_attempt_index")).isEqualTo(0);
        assertThat(row.get("started_at_ms")).isNotNull();
        assertThat(row.get("lease_epoch")).isEqualTo(1L);
        assertThat(row.get("current_worker_id")).isEqualTo("w1");
        assertThat(row.get("current_worker_instance_id")).isEqualTo("w1-instance");
        assertThat((Long) row.get("lease_expires_at_ms") - (Long) row.get("lease_granted_at_ms")).isEqualTo(30_000);
        assertThat(claimed.leaseExpiresAt()).isEqualTo(Instant.ofEpochMilli((Long) row.get("lease_expires_at_ms")));

        Map<String, Object> attempt = ExecTestSupport.attemptRow(db, id, 0,
                "lease_id, lease_epoch, attempt_type, attempt_lifecycle, attempt_id");
        assertThat(attempt.get("lease_id")).isEqualTo(leaseId);
        assertThat(attempt.get("lease_epoch")).isEqualTo(1L);
        assertThat(attempt.get("attempt_type")).isEqualTo("initial");
        assertThat(attempt.get("attempt_lifecycle")).isEqualTo("started");
        assertThat(attempt.get("attempt_id").toString()).isEqualTo(claimed.attemptId());

        assertThat(leaseEvents(db, id)).isEqualTo(1);
        assertThat(leaseEvents(db, id, "acquired")).isEqualTo(1);
        assertThat(db.queryValue("SELECT lease_fingerprint FROM flowfabric.ff_lease_event"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid()))
                .contains(claimed.handle().leaseId().fingerprint());
    }

    @Test
    @DisplayName("CL-02 claim on an empty lane: maxWait 0 is empty at once, maxWait 500 ms is empty after about 500 ms, no error")
    void emptyLane() {
        String lane = lane("cl02");
        ClaimRequest noWait = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ZERO).build();
        ClaimRequest shortWait = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofMillis(500)).build();

        int channelsBefore = engine.listenerChannels();

        Duration immediate = StepVerifier.create(engine.workers().claim(noWait)).expectComplete()
                .verify(ExecTestSupport.TIMEOUT);
        Duration waited = StepVerifier.create(engine.workers().claim(shortWait))
                .then(() -> Awaitility.await().atMost(Duration.ofMillis(400))
                        .until(() -> engine.listenerChannels() == channelsBefore + 1))
                .expectComplete()
                .verify(ExecTestSupport.TIMEOUT);

        assertThat(immediate).isLessThan(Duration.ofMillis(400));
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(450)).isLessThan(Duration.ofMillis(1500));
        // The lane's ready channel is released when the claim ends.
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> engine.listenerChannels() == channelsBefore);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event le JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ?", lane)).isZero();
    }

    @Test
    @DisplayName("CL-02 a claim blocked with maxWait 5 s returns an execution created 300 ms later, well before maxWait")
    void blockedClaimPicksUpNewWork() {
        String lane = lane("cl02b");
        ClaimRequest waiting = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(5)).build();
        ClaimedExecution[] claimed = new ClaimedExecution[1];

        Duration took = StepVerifier.create(engine.workers().claim(waiting))
                .then(() -> reactor.core.publisher.Mono.delay(Duration.ofMillis(300))
                        .then(engine.executions().createExecution(CreateExecution.builder(lane).build()))
                        .subscribe())
                .consumeNextWith(c -> claimed[0] = c)
                .expectComplete()
                .verify(ExecTestSupport.TIMEOUT);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(250)).isLessThan(Duration.ofSeconds(4));
        Object onlyInLane = db.queryValue("SELECT execution_id FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane)
                .orElseThrow();
        assertThat(claimed[0].executionId().uuid()).isEqualTo(onlyInLane);
        assertThat(claimed[0].kind()).isEqualTo(HandleKind.FRESH);
    }

    @Test
    @DisplayName("CL-07 a claim parked with maxWait 5 s is woken by a ready notification from another engine well before its poll interval, holding no pooled connection while parked")
    void parkedClaimWokenByNotification() {
        String lane = lane("cl07");
        try (PostgresEngine waiter = EngineFixture.start(db, clock, b -> b.claimPollInterval(Duration.ofSeconds(30))
                .applicationName("ff-cl07-waiter"))) {
            ClaimRequest request = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(5)).build();
            io.r2dbc.pool.ConnectionPool pool = (io.r2dbc.pool.ConnectionPool) waiter.connectionFactory();
            int[] acquiredWhileParked = {-1};
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(waiter::listenerConnected);
            // The engine's own subscribers (e.g. the completion dispatcher) hold channels of their own.
            int baseline = waiter.listenerChannels();

            Duration took = StepVerifier.create(waiter.workers().claim(request))
                    .then(() -> {
                        Awaitility.await().atMost(Duration.ofSeconds(2))
                                .until(() -> waiter.listenerChannels() == baseline + 1);
                        // Give the first (empty) attempt time to finish and the claim to park.
                        Awaitility.await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                                .until(() -> pool.getMetrics().orElseThrow().acquiredSize() == 0);
                        acquiredWhileParked[0] = pool.getMetrics().orElseThrow().acquiredSize();
                        create(engine, lane);
                    })
                    .assertNext(c -> assertThat(c.lane()).isEqualTo(lane))
                    .expectComplete()
                    .verify(ExecTestSupport.TIMEOUT);

            assertThat(acquiredWhileParked[0]).as("pooled connections held while parked").isZero();
            assertThat(took).as("well before the 30 s poll interval and the 5 s maxWait")
                    .isLessThan(Duration.ofSeconds(3));
            Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> waiter.listenerChannels() == baseline);
        }
    }

    @Test
    @DisplayName("CL-03 claims follow priority descending, then creation order: B(10), C(10, later), A(5)")
    void priorityThenAge() {
        String lane = lane("cl03");
        ExecutionId a = create(engine, CreateExecution.builder(lane).priority(5).build());
        ExecutionId b = create(engine, CreateExecution.builder(lane).priority(10).build());
        // Guarantee a later created_at_ms for C even if both creates fall in the same millisecond.
        clock.advance(Duration.ofMillis(5));
        ExecutionId c = create(engine, CreateExecution.builder(lane).priority(10).build());

        List<ExecutionId> order = List.of(claim(engine, lane, "w").executionId(),
                claim(engine, lane, "w").executionId(), claim(engine, lane, "w").executionId());

        assertThat(order).containsExactly(b, c, a);
    }

    @Test
    @DisplayName("CL-04 required capabilities must be covered: {ssd} gets only the unrestricted one; {gpu, ssd} gets the gpu one")
    void capabilities() {
        String lane = lane("cl04");
        ExecutionId gpu = create(engine, CreateExecution.builder(lane).requiredCapability("gpu").priority(100).build());
        ExecutionId plain = create(engine, lane);
        ClaimRequest ssd = ClaimRequest.builder("w-ssd", "w-ssd-1").lane(lane).capability("ssd").build();
        ClaimRequest gpuSsd = ClaimRequest.builder("w-gpu", "w-gpu-1").lane(lane).capability("gpu")
                .capability("ssd").build();

        ClaimedExecution first = await(engine.workers().claim(ssd));
        ClaimedExecution second = await(engine.workers().claim(ssd));

        assertThat(first).isNotNull();
        assertThat(first.executionId()).isEqualTo(plain);
        assertThat(second).isNull();
        assertThat(vector(db, gpu)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "pending_first_attempt", "none", "waiting");

        ClaimedExecution third = await(engine.workers().claim(gpuSsd));
        assertThat(third).isNotNull();
        assertThat(third.executionId()).isEqualTo(gpu);
        assertThat(vector(db, gpu).get(0)).isEqualTo("active");
    }

    @Test
    @DisplayName("CL-04 capability tokens are case-sensitive: a worker offering GPU does not cover gpu")
    void capabilitiesCaseSensitive() {
        String lane = lane("cl04b");
        ExecutionId gpu = create(engine, CreateExecution.builder(lane).requiredCapability("gpu").build());

        ClaimedExecution upper = await(engine.workers().claim(
                ClaimRequest.builder("w", "w-1").lane(lane).capability("GPU").build()));

        assertThat(upper).isNull();
        assertThat(vector(db, gpu).get(6)).isEqualTo("waiting");
    }

    @Test
    @DisplayName("CL-06 claimBatch(10) over 25 ready claims the 10 highest priorities in order, all lease events in one tx_id")
    void batchClaim() {
        String lane = lane("cl06");
        List<Integer> priorities = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            priorities.add(i * 10);
        }
        Collections.shuffle(priorities);
        Map<ExecutionId, Integer> created = new LinkedHashMap<>();
        for (int p : priorities) {
            created.put(create(engine, CreateExecution.builder(lane).priority(p).build()), p);
        }

        List<ClaimedExecution> batch = awaitAll(engine.workers().claimBatch(claimRequest(lane, "w"), 10));

        assertThat(batch).hasSize(10);
        List<Integer> claimedPriorities = batch.stream().map(ClaimedExecution::priority).toList();
        assertThat(claimedPriorities).containsExactly(240, 230, 220, 210, 200, 190, 180, 170, 160, 150);
        for (ClaimedExecution c : batch) {
            assertThat(created.get(c.executionId())).isEqualTo(c.priority());
            assertThat(c.kind()).isEqualTo(HandleKind.FRESH);
            assertThat(c.leaseEpoch()).isEqualTo(1);
        }
        assertThat(batch.stream().map(c -> c.handle().leaseId()).distinct()).hasSize(10);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event le JOIN flowfabric.ff_exec_core e"
                + " USING (partition_key, execution_id) WHERE e.lane_id = ? AND le.event_type = 'acquired'", lane))
                .isEqualTo(10);
        assertThat(db.queryLong("SELECT count(DISTINCT le.tx_id::text) FROM flowfabric.ff_lease_event le"
                + " JOIN flowfabric.ff_exec_core e USING (partition_key, execution_id) WHERE e.lane_id = ?", lane))
                .as("distinct tx_id of the batch's lease events").isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND public_state = 'waiting'", lane)).isEqualTo(15);
        Set<Integer> stillWaiting = Set.copyOf(db.queryRows("SELECT priority FROM flowfabric.ff_exec_core"
                + " WHERE lane_id = ? AND public_state = 'waiting'", lane).stream()
                .map(r -> (Integer) r.get("priority")).toList());
        assertThat(stillWaiting.stream().max(Comparator.naturalOrder())).contains(140);
    }

    @Test
    @DisplayName("CL-06 claimBatch on a lane with fewer rows than n claims what there is")
    void batchClaimPartial() {
        String lane = lane("cl06b");
        create(engine, lane);
        create(engine, lane);
        create(engine, lane);

        List<ClaimedExecution> batch = awaitAll(engine.workers().claimBatch(claimRequest(lane, "w"), 100));

        assertThat(batch).hasSize(3);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND public_state = 'active'", lane)).isEqualTo(3);
        assertThat(awaitAll(engine.workers().claimBatch(claimRequest(lane, "w"), 100))).isEmpty();
    }
}
