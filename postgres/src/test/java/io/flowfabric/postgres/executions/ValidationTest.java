package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static io.flowfabric.postgres.executions.ExecTestSupport.tableState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.error.ValidationException.Kind;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.id.BudgetId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Every input rule of the lifecycle operations (spec 09, acceptance VL): each rejection is a
 * {@link ValidationException} of the documented kind, signalled at subscription (never thrown at assembly), and
 * nothing is written: row counts of every table an operation may touch and a fingerprint of the execution and
 * attempt tables are the same before and after.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValidationTest {

    private static final int MIB = 1024 * 1024;

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

    /**
     * Assembles the operation (which must not throw), subscribes, and expects a {@link ValidationException} of
     * {@code kind} with nothing written.
     */
    private ValidationException rejects(String what, Kind kind, Supplier<Mono<?>> operation) {
        Map<String, Object> before = tableState(db);
        Mono<?>[] assembled = new Mono<?>[1];
        assertThatCode(() -> assembled[0] = operation.get()).as("%s: assembling must not throw", what)
                .doesNotThrowAnyException();
        ValidationException error = catchThrowableOfType(() -> await(assembled[0]), ValidationException.class);
        assertThat(error).as("%s: expected ValidationException(%s)", what, kind).isNotNull();
        assertThat(error.kind()).as("%s: kind (%s)", what, error.getMessage()).isEqualTo(kind);
        assertThat(error.retryable()).isFalse();
        assertThat(tableState(db)).as("%s: nothing written", what).isEqualTo(before);
        return error;
    }

    private Mono<?> createIn(CreateExecution.Builder builder) {
        return engine.executions().createExecution(builder.build());
    }

    private static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }

    // ------------------------------------------------------------------------------------------ create

    @Test
    @DisplayName("VL-07 createExecution with a null lane: nothing thrown at assembly; the subscription errors with ValidationException")
    void nullLane() {
        Map<String, Object> before = tableState(db);
        Mono<CreateResult>[] mono = new Mono[1];

        assertThatCode(() -> mono[0] = engine.executions().createExecution(CreateExecution.builder(null).build()))
                .doesNotThrowAnyException();
        StepVerifier.create(mono[0])
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ValidationException.class,
                        v -> assertThat(v.kind()).isEqualTo(Kind.INVALID_LANE)))
                .verify(ExecTestSupport.TIMEOUT);
        assertThat(tableState(db)).isEqualTo(before);
    }

    @Test
    @DisplayName("VL-03 lanes: 65 bytes, a control character, a leading space, empty are INVALID_LANE; 64 bytes accepted")
    void lanes() {
        rejects("65-byte lane", Kind.INVALID_LANE, () -> createIn(CreateExecution.builder(repeat('l', 65))));
        rejects("control character", Kind.INVALID_LANE, () -> createIn(CreateExecution.builder("la\u0001ne")));
        rejects("leading space", Kind.INVALID_LANE, () -> createIn(CreateExecution.builder(" lane")));
        rejects("empty lane", Kind.INVALID_LANE, () -> createIn(CreateExecution.builder("")));
        rejects("non-ASCII lane", Kind.INVALID_LANE, () -> createIn(CreateExecution.builder("lané")));

        String lane64 = "v" + UUID.randomUUID().toString().replace("-", "") + repeat('x', 31);
        assertThat(lane64).hasSize(64);
        ExecutionId id = create(engine, lane64);
        assertThat(execRow(db, id, "lane_id")).containsEntry("lane_id", lane64);
    }

    @Test
    @DisplayName("VL-03 ids {fp:256}:... and {fp:01}:... are INVALID_ID")
    void ids() {
        String uuid = UUID.randomUUID().toString();
        for (String text : List.of("{fp:256}:" + uuid, "{fp:01}:" + uuid, "{fp:1}" + uuid, "{fp:-1}:" + uuid)) {
            ValidationException e = catchThrowableOfType(() -> ExecutionId.parse(text), ValidationException.class);
            assertThat(e).as(text).isNotNull();
            assertThat(e.kind()).isEqualTo(Kind.INVALID_ID);
        }
        assertThat(ExecutionId.parse("{fp:7}:" + uuid.toUpperCase()).toString()).isEqualTo("{fp:7}:" + uuid);
    }

    @Test
    @DisplayName("VL-02 namespaces not matching [A-Za-z0-9][A-Za-z0-9_.:/-]* (or over 128 bytes) are INVALID_NAMESPACE")
    void namespaces() {
        String lane = lane("vl-ns");
        for (String ns : List.of("-lead", "has space", "", "ns\n", "ü", "a" + repeat('b', 128))) {
            rejects("namespace '" + ns + "'", Kind.INVALID_NAMESPACE,
                    () -> createIn(CreateExecution.builder(lane).namespace(ns)));
        }
        ExecutionId ok = create(engine, CreateExecution.builder(lane).namespace("Tenant_1.a:b/c-d").build());
        assertThat(execRow(db, ok, "namespace")).containsEntry("namespace", "Tenant_1.a:b/c-d");
    }

    @Test
    @DisplayName("VL-02 capabilities a,b / 'a b' / a control character are INVALID_CAPABILITY; 257 tokens LIMIT_EXCEEDED; no row")
    void requiredCapabilities() {
        String lane = lane("vl-cap");
        rejects("comma", Kind.INVALID_CAPABILITY, () -> createIn(CreateExecution.builder(lane).requiredCapability("a,b")));
        rejects("space", Kind.INVALID_CAPABILITY, () -> createIn(CreateExecution.builder(lane).requiredCapability("a b")));
        rejects("control", Kind.INVALID_CAPABILITY,
                () -> createIn(CreateExecution.builder(lane).requiredCapability("a\u0007")));
        rejects("65 bytes", Kind.INVALID_CAPABILITY,
                () -> createIn(CreateExecution.builder(lane).requiredCapability(repeat('c', 65))));
        Set<String> many = new HashSet<>();
        for (int i = 0; i < 257; i++) {
            many.add("cap" + i);
        }
        rejects("257 tokens", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).requiredCapabilities(many)));
        Set<String> bulky = new HashSet<>();
        for (int i = 0; i < 65; i++) {
            bulky.add(String.format("%02d", i) + repeat('z', 62));
        }
        rejects("4160 bytes in total", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).requiredCapabilities(bulky)));
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?", lane)).isZero();
    }

    @Test
    @DisplayName("VL-01 tag keys Upper.x, nodot, trailing. are INVALID_TAG_KEY; cairn.instance_id accepted and copied to instance_tag")
    void tagKeys() {
        String lane = lane("vl-tag");
        for (String key : List.of("Upper.x", "nodot", "trailing.")) {
            rejects("tag key " + key, Kind.INVALID_TAG_KEY,
                    () -> createIn(CreateExecution.builder(lane).tag(key, "v")));
        }
        rejects("tag value over 4 KiB", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).tag("app.big", repeat('v', 4097))));
        Map<String, String> tooMany = new java.util.HashMap<>();
        for (int i = 0; i < 65; i++) {
            tooMany.put("app.k" + i, "v");
        }
        rejects("65 tags", Kind.LIMIT_EXCEEDED, () -> createIn(CreateExecution.builder(lane).tags(tooMany)));

        ExecutionId id = create(engine, CreateExecution.builder(lane).tag("cairn.instance_id", "i-1").build());
        assertThat(execRow(db, id, "instance_tag, tags::text AS tags")).containsEntry("instance_tag", "i-1");
    }

    @Test
    @DisplayName("VL-04 input of exactly 1 MiB is accepted byte for byte; 1 MiB + 1 is LIMIT_EXCEEDED")
    void inputSize() {
        String lane = lane("vl-input");
        byte[] max = new byte[MIB];
        for (int i = 0; i < max.length; i++) {
            max[i] = (byte) i;
        }
        rejects("1 MiB + 1", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).input(new byte[MIB + 1], "binary")));

        ExecutionId id = create(engine, CreateExecution.builder(lane).input(max, "binary").build());
        assertThat(db.queryLong("SELECT octet_length(input_payload) FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid())).isEqualTo(MIB);
        ClaimedExecution claimed = claim(engine, lane, "w");
        assertThat(claimed.input()).isEqualTo(max);
    }

    @Test
    @DisplayName("VL-04 encodings outside [a-z0-9._+/-]{1,32} are INVALID_INPUT; an empty kind or a long creator identity is rejected")
    void encodingsAndTexts() {
        String lane = lane("vl-enc");
        for (String encoding : List.of("Binary", "text plain", repeat('e', 33), "")) {
            rejects("encoding '" + encoding + "'", Kind.INVALID_INPUT,
                    () -> createIn(CreateExecution.builder(lane).input(new byte[] {1}, encoding)));
        }
        rejects("empty kind", Kind.INVALID_INPUT, () -> createIn(CreateExecution.builder(lane).executionKind("")));
        rejects("creator identity 257 bytes", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).creatorIdentity(repeat('c', 257))));
        List<BudgetId> nine = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nine.add(BudgetId.random());
        }
        rejects("nine budgets", Kind.LIMIT_EXCEEDED, () -> {
            CreateExecution.Builder b = CreateExecution.builder(lane);
            nine.forEach(b::budget);
            return createIn(b);
        });
    }

    @Test
    @DisplayName("VL-04 priority is clamped, not rejected: 12000 is stored as 9000 and -5 as 0")
    void priorityClamp() {
        String lane = lane("vl-prio");
        ExecutionId high = create(engine, CreateExecution.builder(lane).priority(12_000).build());
        ExecutionId low = create(engine, CreateExecution.builder(lane).priority(-5).build());

        assertThat(execRow(db, high, "priority")).containsEntry("priority", 9000);
        assertThat(execRow(db, low, "priority")).containsEntry("priority", 0);
        assertThat(claim(engine, lane, "w").priority()).isEqualTo(9000);
    }

    @Test
    @DisplayName("VL-04 idempotency keys: empty INVALID_INPUT, 257 bytes LIMIT_EXCEEDED, TTL below 1 min or above 30 days INVALID_INPUT")
    void idempotencyKeys() {
        String lane = lane("vl-idem");
        rejects("empty key", Kind.INVALID_INPUT, () -> createIn(CreateExecution.builder(lane).idempotencyKey("")));
        rejects("257-byte key", Kind.LIMIT_EXCEEDED,
                () -> createIn(CreateExecution.builder(lane).idempotencyKey(repeat('k', 257))));
        rejects("TTL 59 s", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).idempotencyKey("k", Duration.ofSeconds(59))));
        rejects("TTL 31 days", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).idempotencyKey("k", Duration.ofDays(31))));
    }

    @Test
    @DisplayName("VL-04 delays: delayFor above 365 days or negative, and delayUntil together with delayFor, are INVALID_INPUT")
    void delays() {
        String lane = lane("vl-delay");
        rejects("delayFor 366 days", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).delayFor(Duration.ofDays(366))));
        rejects("negative delayFor", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).delayFor(Duration.ofMillis(-1))));
        rejects("both delays", Kind.INVALID_INPUT, () -> createIn(CreateExecution.builder(lane)
                .delayFor(Duration.ofSeconds(1)).delayUntil(Instant.now().plusSeconds(5))));
        rejects("delayUntil 366 days ahead (database clock)", Kind.INVALID_INPUT, () -> createIn(
                CreateExecution.builder(lane).delayUntil(Instant.now().plus(Duration.ofDays(366)))));
    }

    @Test
    @DisplayName("VL-06 a deadline not after the database's now is INVALID_INPUT (checked on the database clock) and nothing is written")
    void deadlineInThePast() {
        String lane = lane("vl-deadline");
        String key = "dl-" + UUID.randomUUID();
        // The database clock is one hour ahead: real now + 1 s is in the past for the engine.
        clock.advance(Duration.ofHours(1));

        rejects("deadlineAt = local now + 1 s", Kind.INVALID_INPUT, () -> createIn(CreateExecution.builder(lane)
                .idempotencyKey(key).deadlineAt(Instant.now().plusSeconds(1))));
        Instant serverNow = await(engine.admin().serverTime());
        rejects("deadlineAt = database now", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).deadlineAt(serverNow)));
        rejects("deadlineAfter 0", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).deadlineAfter(Duration.ZERO)));
        rejects("deadlineAfter 366 days", Kind.INVALID_INPUT,
                () -> createIn(CreateExecution.builder(lane).deadlineAfter(Duration.ofDays(366))));
        rejects("both deadlines", Kind.INVALID_INPUT, () -> createIn(CreateExecution.builder(lane)
                .deadlineAfter(Duration.ofHours(2)).deadlineAt(serverNow.plusSeconds(7200))));
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_idempotency WHERE idempotency_key = ?", key))
                .isZero();

        ExecutionId ok = create(engine, CreateExecution.builder(lane).deadlineAt(serverNow.plusSeconds(60)).build());
        assertThat(execRow(db, ok, "deadline_at_ms")).containsEntry("deadline_at_ms",
                serverNow.plusSeconds(60).toEpochMilli());
    }

    @Test
    @DisplayName("VL-06 retry multiplier 0.5 and maxRetries -1 are INVALID_POLICY when the policy is built")
    void invalidPolicies() {
        ValidationException multiplier = catchThrowableOfType(
                () -> Backoff.exponential(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(10)), ValidationException.class);
        ValidationException retries = catchThrowableOfType(
                () -> RetryPolicy.builder().maxRetries(-1).build(), ValidationException.class);

        assertThat(multiplier).isNotNull();
        assertThat(multiplier.kind()).isEqualTo(Kind.INVALID_POLICY);
        assertThat(retries).isNotNull();
        assertThat(retries.kind()).isEqualTo(Kind.INVALID_POLICY);
    }

    // ------------------------------------------------------------------------------------------ claim

    @Test
    @DisplayName("VL claim: batch 0 and 101, TTL 999 ms and 1 h + 1 ms, maxWait above 5 min or negative, 0 or 17 lanes, bad worker ids are INVALID_INPUT; nothing claimed")
    void claimRules() {
        String lane = lane("vl-claim");
        ExecutionId waiting = create(engine, lane);
        ClaimRequest ok = claimRequest(lane, "w");

        rejects("batch 0", Kind.INVALID_INPUT, () -> engine.workers().claimBatch(ok, 0).collectList());
        rejects("batch 101", Kind.INVALID_INPUT, () -> engine.workers().claimBatch(ok, 101).collectList());
        rejects("TTL 999 ms", Kind.INVALID_INPUT,
                () -> engine.workers().claim(claimRequest(lane, "w", Duration.ofMillis(999))));
        rejects("TTL 1 h + 1 ms", Kind.INVALID_INPUT,
                () -> engine.workers().claim(claimRequest(lane, "w", Duration.ofHours(1).plusMillis(1))));
        rejects("maxWait 5 min + 1 ms", Kind.INVALID_INPUT, () -> engine.workers().claim(
                ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofMinutes(5).plusMillis(1)).build()));
        rejects("negative maxWait", Kind.INVALID_INPUT, () -> engine.workers().claim(
                ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofMillis(-1)).build()));
        rejects("no lanes", Kind.INVALID_INPUT, () -> engine.workers().claim(ClaimRequest.builder("w", "w-1").build()));
        List<String> seventeen = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            seventeen.add(lane + "-" + i);
        }
        rejects("17 lanes", Kind.INVALID_INPUT,
                () -> engine.workers().claim(ClaimRequest.builder("w", "w-1").lanes(seventeen).build()));
        rejects("worker id with a space", Kind.INVALID_INPUT,
                () -> engine.workers().claim(ClaimRequest.builder("w 1", "w-1").lane(lane).build()));
        rejects("null worker instance id", Kind.INVALID_INPUT,
                () -> engine.workers().claim(ClaimRequest.builder("w", null).lane(lane).build()));
        rejects("invalid lane", Kind.INVALID_LANE,
                () -> engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(repeat('x', 65)).build()));
        rejects("worker capability with a comma", Kind.INVALID_CAPABILITY,
                () -> engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane).capability("a,b").build()));

        assertThat(ExecTestSupport.vector(db, waiting).get(6)).isEqualTo("waiting");
        ClaimedExecution boundary = claim(engine, claimRequest(lane, "w", Duration.ofHours(1)));
        assertThat(boundary.executionId()).isEqualTo(waiting);
    }

    @Test
    @DisplayName("VL claim: a worker may offer 256 capability tokens of any total size (spec 09 §4: no byte total for worker capabilities); 257 is LIMIT_EXCEEDED")
    void workerCapabilityLimits() {
        String lane = lane("vl-wcap");
        ExecutionId id = create(engine, CreateExecution.builder(lane).requiredCapability("cap-001").build());
        Set<String> tooMany = new HashSet<>();
        Set<String> large = new HashSet<>();
        for (int i = 0; i < 257; i++) {
            String token = String.format("cap-%03d-", i) + repeat('t', 56);
            assertThat(token).hasSize(64);
            tooMany.add(token);
            if (i < 100) {
                large.add(token);
            }
        }
        large.add("cap-001");

        rejects("257 worker capabilities", Kind.LIMIT_EXCEEDED, () -> engine.workers().claim(
                ClaimRequest.builder("w", "w-1").lane(lane).capabilities(tooMany).build()));
        // 101 tokens, about 6.4 KB in total: within the 256-token limit of worker capabilities.
        ClaimedExecution claimed = await(engine.workers().claim(
                ClaimRequest.builder("w", "w-1").lane(lane).capabilities(large).build()));

        assertThat(claimed).as("claim with 101 worker capabilities (6 KB)").isNotNull();
        assertThat(claimed.executionId()).isEqualTo(id);
    }

    // ------------------------------------------------------------------------------------------ lease holder

    @Test
    @DisplayName("VL lease holder: a missing fence is FENCE_REQUIRED for renew, progress, complete, fail, cancel, delay and waitChildren")
    void fenceRequired() {
        String lane = lane("vl-fence");
        create(engine, lane);
        claim(engine, lane, "w");

        rejects("renew", Kind.FENCE_REQUIRED, () -> engine.workers().renew(null, null));
        rejects("progress", Kind.FENCE_REQUIRED, () -> engine.workers().progress(null, 10, "m"));
        rejects("complete", Kind.FENCE_REQUIRED, () -> engine.workers().complete(null, new byte[] {1}, null));
        rejects("fail", Kind.FENCE_REQUIRED,
                () -> engine.workers().fail(null, FailureReason.of("x"), FailureClass.TRANSIENT));
        rejects("cancel", Kind.FENCE_REQUIRED, () -> engine.workers().cancel(null, "r"));
        rejects("delay", Kind.FENCE_REQUIRED, () -> engine.workers().delay(null, Duration.ofSeconds(1)));
        rejects("waitChildren", Kind.FENCE_REQUIRED, () -> engine.workers().waitChildren(null));
    }

    @Test
    @DisplayName("VL lease holder: oversize progress message, failure message/detail/category, cancel reason and result are LIMIT_EXCEEDED; bad percent, TTL, delay are INVALID_INPUT; the lease is intact")
    void leaseHolderRules() {
        String lane = lane("vl-holder");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        LeaseFence fence = claimed.fence();
        String euro342 = repeat('€', 342); // 1026 UTF-8 bytes in 342 chars

        rejects("progress message 1025 bytes", Kind.LIMIT_EXCEEDED,
                () -> engine.workers().progress(fence, 10, repeat('m', 1025)));
        rejects("progress message 1026 UTF-8 bytes", Kind.LIMIT_EXCEEDED,
                () -> engine.workers().progress(fence, 10, euro342));
        rejects("progress 101 %", Kind.INVALID_INPUT, () -> engine.workers().progress(fence, 101, null));
        rejects("progress -1 %", Kind.INVALID_INPUT, () -> engine.workers().progress(fence, -1, null));
        rejects("failure message 4097 bytes", Kind.LIMIT_EXCEEDED, () -> engine.workers().fail(fence,
                FailureReason.of(repeat('f', 4097)), FailureClass.TRANSIENT));
        rejects("failure detail 16385 bytes", Kind.LIMIT_EXCEEDED, () -> engine.workers().fail(fence,
                new FailureReason("m", repeat('d', 16 * 1024 + 1), null), FailureClass.TRANSIENT));
        rejects("failure category 65 bytes", Kind.LIMIT_EXCEEDED, () -> engine.workers().fail(fence,
                new FailureReason("m", null, repeat('c', 65)), FailureClass.TRANSIENT));
        rejects("null failure reason", Kind.INVALID_INPUT,
                () -> engine.workers().fail(fence, null, FailureClass.TRANSIENT));
        rejects("null failure class", Kind.INVALID_INPUT,
                () -> engine.workers().fail(fence, FailureReason.of("m"), null));
        rejects("cancel reason 1025 bytes", Kind.LIMIT_EXCEEDED,
                () -> engine.workers().cancel(fence, repeat('r', 1025)));
        rejects("result 1 MiB + 1", Kind.LIMIT_EXCEEDED,
                () -> engine.workers().complete(fence, new byte[MIB + 1], null));
        rejects("result encoding", Kind.INVALID_INPUT,
                () -> engine.workers().complete(fence, new byte[] {1}, "Not Valid"));
        rejects("renew TTL 999 ms", Kind.INVALID_INPUT, () -> engine.workers().renew(fence, Duration.ofMillis(999)));
        rejects("renew TTL 1 h + 1 ms", Kind.INVALID_INPUT,
                () -> engine.workers().renew(fence, Duration.ofHours(1).plusMillis(1)));
        rejects("delay 30 days + 1 ms", Kind.INVALID_INPUT,
                () -> engine.workers().delay(fence, Duration.ofDays(30).plusMillis(1)));
        rejects("negative delay", Kind.INVALID_INPUT, () -> engine.workers().delay(fence, Duration.ofMillis(-1)));
        rejects("null delay", Kind.INVALID_INPUT, () -> engine.workers().delay(fence, null));

        assertThat(ExecTestSupport.vector(db, id).get(6)).isEqualTo("active");
        assertThat(execRow(db, id, "lease_epoch")).containsEntry("lease_epoch", 1L);
        // The limits are inclusive: exactly 1 KiB of progress message and exactly 1 MiB of result are accepted.
        await(engine.workers().progress(fence, 100, repeat('m', 1024)));
        assertThat(await(engine.workers().complete(fence, new byte[MIB], null))).isNotNull();
        assertThat(db.queryLong("SELECT octet_length(result_payload) FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid())).isEqualTo(MIB);
    }

    @Test
    @DisplayName("VL operator cancel: reason over 1 KiB and actor over 256 bytes are LIMIT_EXCEEDED, a null id INVALID_ID; nothing written")
    void operatorCancelRules() {
        String lane = lane("vl-op");
        ExecutionId id = create(engine, lane);

        rejects("reason 1025 bytes", Kind.LIMIT_EXCEEDED,
                () -> engine.operator().cancelExecution(id, repeat('r', 1025), null));
        rejects("actor 257 bytes", Kind.LIMIT_EXCEEDED,
                () -> engine.operator().cancelExecution(id, null, repeat('a', 257)));
        rejects("null id", Kind.INVALID_ID, () -> engine.operator().cancelExecution(null, null, null));
        assertThat(ExecTestSupport.vector(db, id).get(6)).isEqualTo("waiting");
    }

    // ------------------------------------------------------------------------------------------ reads

    @Test
    @DisplayName("VL-05 list executions limit 1001 is LIMIT_EXCEEDED; expired leases 10000 accepted, 10001 LIMIT_EXCEEDED; bad cursor INVALID_CURSOR")
    void pageLimits() {
        rejects("listExecutions 1001", Kind.LIMIT_EXCEEDED,
                () -> engine.executions().listExecutions(ExecutionQuery.byNamespace("default"), null, 1001));
        rejects("listExecutions -1", Kind.INVALID_INPUT,
                () -> engine.executions().listExecutions(ExecutionQuery.byNamespace("default"), null, -1));
        rejects("listLanes 1001", Kind.LIMIT_EXCEEDED, () -> engine.executions().listLanes(null, 1001));
        rejects("listExpiredLeases 10001", Kind.LIMIT_EXCEEDED,
                () -> engine.executions().listExpiredLeases(null, null, 10_001));
        rejects("garbage cursor", Kind.INVALID_CURSOR,
                () -> engine.executions().listExecutions(ExecutionQuery.byNamespace("default"), "%%%", 10));
        rejects("describe null id", Kind.INVALID_ID, () -> engine.executions().describeExecution(null));

        assertThat(await(engine.executions().listExpiredLeases(null, null, 10_000))).isNotNull();
        assertThat(await(engine.executions().listExecutions(ExecutionQuery.byNamespace("default"), null, 1000)))
                .isNotNull();
    }
}
