package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.execCount;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.BudgetId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.Partitions;
import io.flowfabric.core.id.QuotaPolicyId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CreateExecutionTest {

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
    @DisplayName("EX-01 create on an empty lane: Created, ready vector, counters zero, lane recorded, one ready notification")
    void createReady() {
        String l1 = lane("ex01");
        try (ExecTestSupport.Listener ready = new ExecTestSupport.Listener(db, ExecTestSupport.readyChannel(l1))) {
            CreateResult result = await(engine.executions().createExecution(CreateExecution.builder(l1).build()));

            assertThat(result).isInstanceOf(CreateResult.Created.class);
            assertThat(result.publicState()).isEqualTo(PublicState.WAITING);
            ExecutionId id = result.executionId();
            assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                    "pending_first_attempt", "none", "waiting");
            Map<String, Object> row = execRow(db, id, "attempt_count, current_attempt_index, lease_epoch, lane_id");
            assertThat(row.get("attempt_count")).isEqualTo(0);
            assertThat(row.get("current_attempt_index")).isNull();
            assertThat(row.get("lease_epoch")).isEqualTo(0L);
            assertThat(row.get("lane_id")).isEqualTo(l1);
            assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lane WHERE lane_id = ?", l1)).isEqualTo(1);
            assertThat(ready.countWithin(Duration.ofMillis(500))).as("ready notifications on %s", l1).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("EX-01 a lane first named by a create that turned out Duplicate is still recorded in ff_lane by the next real create there")
    void laneRecordedAfterDuplicate() {
        String original = lane("ex01-orig");
        String other = lane("ex01-other");
        String key = "lane-" + UUID.randomUUID();
        ExecutionId id = ExecutionId.standalone();
        EngineFixture.create(engine, CreateExecution.builder(original).executionId(id).build());
        await(engine.executions().createExecution(CreateExecution.builder(original).idempotencyKey(key).build()));

        // Both of these are Duplicates and must not insert anything, including a lane row for `other`.
        CreateResult sameId = await(engine.executions().createExecution(
                CreateExecution.builder(other).executionId(id).build()));
        CreateResult sameKey = await(engine.executions().createExecution(
                CreateExecution.builder(other).idempotencyKey(key).build()));
        assertThat(sameId).isInstanceOf(CreateResult.Duplicate.class);
        assertThat(sameKey).isInstanceOf(CreateResult.Duplicate.class);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lane WHERE lane_id = ?", other)).isZero();

        ExecutionId real = EngineFixture.create(engine, other);

        assertThat(execRow(db, real, "lane_id")).containsEntry("lane_id", other);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lane WHERE lane_id = ?", other))
                .as("ff_lane row for %s after a real create in it", other).isEqualTo(1);
        assertThat(await(engine.executions().listLanes(null, 1000)).items()).contains(other);
    }

    @Test
    @DisplayName("EX-02 create with delayFor 10 s is delayed until the database clock passes it and the promoter ticks")
    void createDelayed() {
        String lane = lane("ex02");
        CreateResult result;
        try (ExecTestSupport.Listener ready = new ExecTestSupport.Listener(db, ExecTestSupport.readyChannel(lane))) {
            result = await(engine.executions()
                    .createExecution(CreateExecution.builder(lane).delayFor(Duration.ofSeconds(10)).build()));
            assertThat(ready.countWithin(Duration.ofMillis(300))).as("ready notifications for a delayed create")
                    .isZero();
        }
        ExecutionId id = result.executionId();

        assertThat(result.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "not_eligible_until_time",
                "waiting_for_delay", "pending_first_attempt", "none", "delayed");
        Map<String, Object> row = execRow(db, id, "created_at_ms, delay_until_ms, deadline_at_ms");
        assertThat((Long) row.get("delay_until_ms")).isEqualTo((Long) row.get("created_at_ms") + 10_000);
        assertThat(row.get("deadline_at_ms")).isNull();
        assertThat(await(engine.workers().claim(claimRequest(lane, "w")))).as("claim while delayed").isNull();

        clock.advance(Duration.ofSeconds(10));
        await(engine.reconcilers().tick("delayed_promoter"));

        assertThat(await(engine.executions().readExecutionState(id))).contains(PublicState.WAITING);
        assertThat(vector(db, id)).containsExactly("runnable", "unowned", "eligible_now", "waiting_for_worker",
                "pending_first_attempt", "none", "waiting");
        ClaimedExecution claimed = await(engine.workers().claim(claimRequest(lane, "w")));
        assertThat(claimed).isNotNull();
        assertThat(claimed.executionId()).isEqualTo(id);
    }

    @Test
    @DisplayName("EX-03 creating the same execution id twice gives Created then Duplicate with the same id; one row")
    void sameIdTwice() {
        String lane = lane("ex03");
        ExecutionId id = ExecutionId.standalone();
        CreateExecution request = CreateExecution.builder(lane).executionId(id).build();

        CreateResult first = await(engine.executions().createExecution(request));
        CreateResult second = await(engine.executions().createExecution(request));

        assertThat(first).isEqualTo(new CreateResult.Created(id, PublicState.WAITING));
        assertThat(second).isEqualTo(new CreateResult.Duplicate(id, PublicState.WAITING));
        assertThat(execCount(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("EX-04 same idempotency key in a namespace returns Duplicate; another namespace creates")
    void idempotencyKeyPerNamespace() {
        String lane = lane("ex04");
        String key = "key-" + UUID.randomUUID();
        ExecutionId firstId = ExecutionId.standalone();
        ExecutionId secondId = ExecutionId.standalone();
        ExecutionId otherNsId = ExecutionId.standalone();

        CreateResult first = await(engine.executions().createExecution(CreateExecution.builder(lane)
                .namespace("ns-a").executionId(firstId).idempotencyKey(key).build()));
        CreateResult second = await(engine.executions().createExecution(CreateExecution.builder(lane)
                .namespace("ns-a").executionId(secondId).idempotencyKey(key).build()));
        CreateResult otherNamespace = await(engine.executions().createExecution(CreateExecution.builder(lane)
                .namespace("ns-b").executionId(otherNsId).idempotencyKey(key).build()));

        assertThat(first).isInstanceOf(CreateResult.Created.class);
        assertThat(second).isEqualTo(new CreateResult.Duplicate(firstId, PublicState.WAITING));
        assertThat(execCount(db, secondId)).as("no row for the second id").isZero();
        assertThat(otherNamespace).isEqualTo(new CreateResult.Created(otherNsId, PublicState.WAITING));
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_idempotency WHERE idempotency_key = ?", key))
                .isEqualTo(2);
    }

    @Test
    @DisplayName("EX-05 ten concurrent creates with one idempotency key: exactly one Created, nine Duplicate, same id")
    void concurrentIdempotentCreates() {
        String lane = lane("ex05");
        String key = "race-" + UUID.randomUUID();

        List<CreateResult> results = Flux.range(0, 10)
                .flatMap(i -> engine.executions().createExecution(CreateExecution.builder(lane)
                        .executionId(ExecutionId.standalone()).idempotencyKey(key).build()), 10)
                .collectList().block(ExecTestSupport.TIMEOUT);

        assertThat(results).hasSize(10);
        assertThat(results).filteredOn(CreateResult::created).hasSize(1);
        assertThat(results).filteredOn(r -> r instanceof CreateResult.Duplicate).hasSize(9);
        assertThat(results.stream().map(CreateResult::executionId).distinct()).hasSize(1);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane)).isEqualTo(1);
    }

    @Test
    @DisplayName("EX-06 an idempotency key past its TTL on the database clock is replaced: Created with a new id")
    void expiredIdempotencyKey() {
        String lane = lane("ex06");
        String key = "ttl-" + UUID.randomUUID();
        CreateResult first = await(engine.executions().createExecution(CreateExecution.builder(lane)
                .idempotencyKey(key, Duration.ofMinutes(1)).build()));

        clock.advance(Duration.ofMinutes(2));
        CreateResult second = await(engine.executions().createExecution(CreateExecution.builder(lane)
                .idempotencyKey(key, Duration.ofMinutes(1)).build()));

        assertThat(first).isInstanceOf(CreateResult.Created.class);
        assertThat(second).isInstanceOf(CreateResult.Created.class);
        assertThat(second.executionId()).isNotEqualTo(first.executionId());
        List<Map<String, Object>> keys = db.queryRows("SELECT execution_id, execution_partition_key"
                + " FROM flowfabric.ff_idempotency WHERE namespace = 'default' AND idempotency_key = ?", key);
        assertThat(keys).hasSize(1);
        assertThat(keys.get(0).get("execution_id")).isEqualTo(second.executionId().uuid());
        assertThat(keys.get(0).get("execution_partition_key")).isEqualTo(second.executionId().partition());
    }

    @Test
    @DisplayName("EX-07 capabilities sorted, budget and quota stored, priority 12000 clamped to 9000, deadline now + 1 h")
    void routingFieldsStored() {
        String lane = lane("ex07");
        BudgetId budget = BudgetId.random();
        QuotaPolicyId quota = QuotaPolicyId.random();
        db.execute("INSERT INTO flowfabric.ff_budget (partition_key, budget_id, scope_type, enforcement_mode,"
                + " on_hard_limit, on_soft_limit, created_at_ms, updated_at_ms)"
                + " VALUES (?, ?, 'namespace', 'enforce', 'block', 'record', 0, 0)", budget.partition(), budget.uuid());
        db.execute("INSERT INTO flowfabric.ff_quota_policy (partition_key, quota_policy_id, window_ms,"
                + " max_requests_per_window, max_concurrent, admission_ttl_ms) VALUES (?, ?, 1000, 0, 0, 60000)",
                quota.partition(), quota.uuid());

        ExecutionId id = EngineFixture.create(engine, CreateExecution.builder(lane)
                .requiredCapability("gpu").requiredCapability("cuda")
                .budget(budget).quotaPolicy(quota).priority(12_000).deadlineAfter(Duration.ofHours(1)).build());

        Map<String, Object> row = execRow(db, id, "array_to_string(required_capabilities, ',') AS caps,"
                + " array_to_string(budget_ids, ',') AS budgets, quota_policy_id, priority, created_at_ms,"
                + " deadline_at_ms, delay_until_ms");
        assertThat(row.get("caps")).isEqualTo("cuda,gpu");
        assertThat(row.get("budgets")).isEqualTo(budget.uuid().toString());
        assertThat(row.get("quota_policy_id")).isEqualTo(quota.uuid());
        assertThat(row.get("priority")).isEqualTo(9000);
        assertThat((Long) row.get("deadline_at_ms")).isEqualTo((Long) row.get("created_at_ms") + 3_600_000);
        assertThat(row.get("delay_until_ms")).isNull();
    }

    @Test
    @DisplayName("EX-08 an unknown budget is NotFound(BUDGET); neither the execution nor its idempotency key is written")
    void unknownBudget() {
        String lane = lane("ex08");
        String key = "nb-" + UUID.randomUUID();
        ExecutionId id = ExecutionId.standalone();

        NotFoundException error = catchThrowableOfType(() -> await(engine.executions().createExecution(
                CreateExecution.builder(lane).executionId(id).idempotencyKey(key).budget(BudgetId.random()).build())),
                NotFoundException.class);

        assertThat(error).isNotNull();
        assertThat(error.entity()).isEqualTo(NotFoundException.Entity.BUDGET);
        assertThat(error.retryable()).isFalse();
        assertThat(execCount(db, id)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_idempotency WHERE idempotency_key = ?", key))
                .isZero();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_lane WHERE lane_id = ?", lane)).isZero();
    }

    @Test
    @DisplayName("EX-09 1000 standalone executions: partition key = CRC-16/XMODEM(uuid bytes) mod 256, >= 200 keys used")
    void standalonePartitions() {
        String lane = lane("ex09");
        List<CreateResult> results = Flux.range(0, 1000)
                .flatMap(i -> engine.executions().createExecution(CreateExecution.builder(lane).build()), 16)
                .collectList().block(Duration.ofSeconds(60));
        assertThat(results).hasSize(1000).allMatch(CreateResult::created);

        List<Map<String, Object>> rows = db.queryRows(
                "SELECT partition_key, execution_id FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane);
        assertThat(rows).hasSize(1000);
        Set<Integer> keys = new HashSet<>();
        for (Map<String, Object> row : rows) {
            UUID uuid = (UUID) row.get("execution_id");
            int stored = (Integer) row.get("partition_key");
            assertThat(stored).as("partition of %s", uuid).isEqualTo(crc16Xmodem(uuid) % 256);
            assertThat(stored).isEqualTo(Partitions.ofUuid(uuid));
            keys.add(stored);
        }
        assertThat(keys.size()).as("distinct partition keys").isGreaterThanOrEqualTo(200);
    }

    @Test
    @DisplayName("EX-09 CRC-16/XMODEM reference: '123456789' gives 0x31C3")
    void crcReference() {
        assertThat(crc16Xmodem("123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo(0x31C3);
    }

    /** An independent bitwise CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no final XOR). */
    private static int crc16Xmodem(UUID uuid) {
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        return crc16Xmodem(bytes);
    }

    private static int crc16Xmodem(byte[] bytes) {
        int crc = 0;
        for (byte b : bytes) {
            crc ^= (b & 0xFF) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }
}
