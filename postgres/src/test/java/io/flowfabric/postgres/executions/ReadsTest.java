package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.awaitAll;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.ExecutionInput;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.ExecutionSummary;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.Partitions;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.AttemptLifecycle;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.StateVectors;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadsTest {

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
    @DisplayName("RD-01 describe an active execution: state fields, active, current attempt, lease with epoch, worker ids and expiry")
    void describeActive() {
        String lane = lane("rd01");
        ExecutionId id = create(engine, CreateExecution.builder(lane).namespace("rd01").executionKind("report")
                .priority(42).tag("app.owner", "team-a").requiredCapability("gpu").build());
        ClaimedExecution claimed = await(engine.workers().claim(io.flowfabric.core.execution.ClaimRequest
                .builder("w", "w-7").lane(lane).capability("gpu").build()));

        ExecutionSnapshot s = await(engine.executions().describeExecution(id)).orElseThrow();

        assertThat(s.executionId()).isEqualTo(id);
        assertThat(s.flow()).isEmpty();
        assertThat(s.namespace()).isEqualTo("rd01");
        assertThat(s.lane()).isEqualTo(lane);
        assertThat(s.executionKind()).isEqualTo("report");
        assertThat(s.priority()).isEqualTo(42);
        assertThat(s.tags()).containsEntry("app.owner", "team-a");
        assertThat(s.requiredCapabilities()).containsExactly("gpu");
        assertThat(s.state()).isEqualTo(StateVectors.RUNNING);
        assertThat(s.publicState()).isEqualTo(PublicState.ACTIVE);
        assertThat(s.counters().attemptCount()).isEqualTo(1);
        assertThat(s.counters().currentAttemptIndex()).isEqualTo(0);
        assertThat(s.counters().leaseEpoch()).isEqualTo(1);
        assertThat(s.times().startedAt()).isNotNull();
        assertThat(s.attempt()).hasValueSatisfying(a -> {
            assertThat(a.attemptIndex()).isZero();
            assertThat(a.attemptId()).isEqualTo(claimed.attemptId());
            assertThat(a.type()).isEqualTo(AttemptType.INITIAL);
            assertThat(a.lifecycle()).isEqualTo(AttemptLifecycle.STARTED);
            assertThat(a.workerInstanceId()).isEqualTo("w-7");
        });
        assertThat(s.lease()).hasValueSatisfying(l -> {
            assertThat(l.leaseEpoch()).isEqualTo(1);
            assertThat(l.workerId()).isEqualTo("w");
            assertThat(l.workerInstanceId()).isEqualTo("w-7");
            assertThat(l.expiresAt()).isEqualTo(claimed.leaseExpiresAt());
            assertThat(l.ttlMs()).isEqualTo(30_000);
        });
        assertThat(s.toString()).doesNotContain(claimed.handle().leaseId().uuid().toString());
    }

    @Test
    @DisplayName("RD-02 describe, read state, read input, read result and list attempts of an unknown id are all empty")
    void unknownId() {
        ExecutionId unknown = ExecutionId.standalone();

        assertThat(await(engine.executions().describeExecution(unknown))).isEmpty();
        assertThat(await(engine.executions().readExecutionState(unknown))).isEmpty();
        assertThat(await(engine.executions().readExecutionInput(unknown))).isEmpty();
        assertThat(await(engine.executions().getExecutionResult(unknown))).isEmpty();
        assertThat(awaitAll(engine.executions().listAttempts(unknown))).isEmpty();
    }

    @Test
    @DisplayName("RD-02 read input returns the payload byte for byte with encoding, kind and tags")
    void readInput() {
        String lane = lane("rd02");
        byte[] input = {0, 1, (byte) 0xFE, (byte) 0xFF};
        ExecutionId id = create(engine, CreateExecution.builder(lane).input(input, "application/x-raw")
                .executionKind("kind-a").tag("app.k", "v").build());

        ExecutionInput read = await(engine.executions().readExecutionInput(id)).orElseThrow();

        assertThat(read.input()).containsExactly(input);
        assertThat(read.encoding()).isEqualTo("application/x-raw");
        assertThat(read.executionKind()).isEqualTo("kind-a");
        assertThat(read.tags()).containsExactly(java.util.Map.entry("app.k", "v"));
    }

    @Test
    @DisplayName("RD-03 result of an active execution is empty, of a completed one the exact bytes, of a failed one empty")
    void results() {
        String lane = lane("rd03");
        ExecutionId active = create(engine, lane);
        claim(engine, lane, "w");
        ExecutionId completed = create(engine, lane);
        byte[] bytes = {(byte) 0xFF, 0, 0x10, 0, (byte) 0x80};
        await(engine.workers().complete(claim(engine, lane, "w").fence(), bytes, null));
        ExecutionId failed = create(engine, lane);
        await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("x"),
                FailureClass.PERMANENT));
        ExecutionId completedEmpty = create(engine, lane);
        await(engine.workers().complete(claim(engine, lane, "w").fence(), null, null));

        assertThat(await(engine.executions().getExecutionResult(active))).isEmpty();
        assertThat(await(engine.executions().getExecutionResult(completed))).hasValueSatisfying(p -> {
            assertThat(p.bytes()).containsExactly(bytes);
            assertThat(p.encoding()).isEqualTo("binary");
        });
        assertThat(await(engine.executions().getExecutionResult(failed))).isEmpty();
        assertThat(await(engine.executions().getExecutionResult(completedEmpty))).isEmpty();
    }

    @Test
    @DisplayName("RD-04 five executions in one partition listed with limit 2: pages of 2, 2, 1, each id once, no cursor on the last page")
    void listByPartition() {
        String lane = lane("rd04");
        int partition = ThreadLocalRandom.current().nextInt(256);
        List<ExecutionId> ids = new ArrayList<>();
        while (ids.size() < 5) {
            UUID uuid = UUID.randomUUID();
            if (Partitions.ofUuid(uuid) == partition) {
                ids.add(create(engine, CreateExecution.builder(lane).executionId(ExecutionId.of(partition, uuid))
                        .build()));
            }
        }
        ExecutionQuery query = ExecutionQuery.byPartition(partition).withLane(lane);

        Page<ExecutionSummary> p1 = await(engine.executions().listExecutions(query, null, 2));
        Page<ExecutionSummary> p2 = await(engine.executions().listExecutions(query, p1.cursor(), 2));
        Page<ExecutionSummary> p3 = await(engine.executions().listExecutions(query, p2.cursor(), 2));

        assertThat(p1.items()).hasSize(2);
        assertThat(p1.nextCursor()).isPresent();
        assertThat(p2.items()).hasSize(2);
        assertThat(p2.nextCursor()).isPresent();
        assertThat(p3.items()).hasSize(1);
        assertThat(p3.nextCursor()).isEmpty();
        List<ExecutionId> listed = new ArrayList<>();
        List.of(p1, p2, p3).forEach(p -> p.items().forEach(s -> listed.add(s.executionId())));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(ids).doesNotHaveDuplicates();
        // PostgreSQL orders uuids bytewise, which is the order of their lower-case text.
        assertThat(listed).isSortedAccordingTo(java.util.Comparator.comparing(e -> e.uuid().toString()));
        assertThat(p1.items().get(0).lane()).isEqualTo(lane);
        assertThat(p1.items().get(0).publicState()).isEqualTo(PublicState.WAITING);
    }

    @Test
    @DisplayName("RD-05 list by namespace filtered to waiting: only waiting rows, ordered by creation, paged")
    void listByNamespace() {
        String lane = lane("rd05");
        String ns = "rd05-" + UUID.randomUUID().toString().substring(0, 8);
        List<ExecutionId> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // The two that leave "waiting" live on lanes of their own so the claim takes exactly them.
            String own = i == 1 || i == 3 ? lane + "-" + i : lane;
            ExecutionId id = create(engine, CreateExecution.builder(own).namespace(ns).build());
            if (i == 1) {
                await(engine.workers().complete(claim(engine, own, "w").fence(), null, null));
            } else if (i == 3) {
                claim(engine, own, "w");
            } else {
                waiting.add(id);
            }
            // Distinct creation times make "ordered by creation" observable.
            clock.advance(Duration.ofMillis(3));
        }
        ExecutionQuery query = ExecutionQuery.byNamespace(ns).withStates(PublicState.WAITING);

        Page<ExecutionSummary> all = await(engine.executions().listExecutions(query, null, 100));
        Page<ExecutionSummary> first = await(engine.executions().listExecutions(query, null, 2));
        Page<ExecutionSummary> second = await(engine.executions().listExecutions(query, first.cursor(), 2));

        assertThat(all.items()).extracting(ExecutionSummary::executionId).containsExactlyElementsOf(waiting);
        assertThat(all.items()).allMatch(s -> s.publicState() == PublicState.WAITING && s.namespace().equals(ns));
        assertThat(all.nextCursor()).isEmpty();
        List<Instant> created = all.items().stream().map(ExecutionSummary::createdAt).toList();
        assertThat(created).isSorted();
        assertThat(first.items()).extracting(ExecutionSummary::executionId).containsExactlyElementsOf(waiting.subList(0, 2));
        assertThat(first.nextCursor()).isPresent();
        assertThat(second.items()).extracting(ExecutionSummary::executionId).containsExactly(waiting.get(2));
        assertThat(second.nextCursor()).isEmpty();
        Page<ExecutionSummary> active = await(engine.executions().listExecutions(
                ExecutionQuery.byNamespace(ns).withStates(PublicState.ACTIVE, PublicState.COMPLETED), null, 100));
        assertThat(active.items()).hasSize(2);
    }

    @Test
    @DisplayName("RD-05 list lanes alpha..echo with limit 2: cursors bravo, delta, then none; limit 0 is an empty page without cursor")
    void listLanes() {
        // Lanes of this test sort after every other lane of this class, so a start cursor isolates them.
        String start = "zzzzzz-rd05";
        for (String name : List.of("alpha", "bravo", "charlie", "delta", "echo")) {
            create(engine, start + "-" + name);
        }

        Page<String> p1 = await(engine.executions().listLanes(start, 2));
        Page<String> p2 = await(engine.executions().listLanes(p1.cursor(), 2));
        Page<String> p3 = await(engine.executions().listLanes(p2.cursor(), 2));
        Page<String> none = await(engine.executions().listLanes(null, 0));

        assertThat(p1.items()).containsExactly(start + "-alpha", start + "-bravo");
        assertThat(p1.nextCursor()).contains(start + "-bravo");
        assertThat(p2.items()).containsExactly(start + "-charlie", start + "-delta");
        assertThat(p2.nextCursor()).contains(start + "-delta");
        assertThat(p3.items()).containsExactly(start + "-echo");
        assertThat(p3.nextCursor()).isEmpty();
        assertThat(none.items()).isEmpty();
        assertThat(none.nextCursor()).isEmpty();
    }

    @Test
    @DisplayName("RD listExpiredLeases: only active leases past expiry on the database clock, by expiry, paged with a strict cursor, no lease ids")
    void listExpiredLeases() {
        String ns = "rdx-" + UUID.randomUUID().toString().substring(0, 8);
        String lane = lane("rdx");
        List<ExecutionId> byExpiry = new ArrayList<>();
        for (int ttl = 1; ttl <= 3; ttl++) {
            ExecutionId id = create(engine, CreateExecution.builder(lane).namespace(ns).build());
            claim(engine, ExecTestSupport.claimRequest(lane, "w", Duration.ofSeconds(ttl)));
            byExpiry.add(id);
        }
        create(engine, CreateExecution.builder(lane).namespace(ns).build());
        claim(engine, ExecTestSupport.claimRequest(lane, "w", Duration.ofSeconds(60)));

        assertThat(await(engine.executions().listExpiredLeases(ns, null, 10)).items()).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        Page<io.flowfabric.core.execution.ExpiredLease> p1 = await(engine.executions().listExpiredLeases(ns, null, 2));
        Page<io.flowfabric.core.execution.ExpiredLease> p2 = await(engine.executions().listExpiredLeases(ns,
                p1.cursor(), 2));

        assertThat(p1.items()).extracting(io.flowfabric.core.execution.ExpiredLease::executionId)
                .containsExactly(byExpiry.get(0), byExpiry.get(1));
        assertThat(p1.nextCursor()).isPresent();
        assertThat(p2.items()).extracting(io.flowfabric.core.execution.ExpiredLease::executionId)
                .containsExactly(byExpiry.get(2));
        assertThat(p2.nextCursor()).isEmpty();
        assertThat(p1.items().get(0).workerId()).isEqualTo("w");
        assertThat(p1.items().get(0).leaseEpoch()).isEqualTo(1);
        assertThat(p1.items().get(0).namespace()).isEqualTo(ns);
    }

    @Test
    @DisplayName("RD-06 two retries then running: listAttempts gives 3 rows by index, initial/retry/retry, retry_scheduled twice, the last running")
    void listAttempts() {
        String lane = lane("rd06");
        ExecutionId id = create(engine, CreateExecution.builder(lane).policy(ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(5).backoff(Backoff.fixed(Duration.ZERO)).build()).build())
                .build());
        for (int i = 0; i < 2; i++) {
            await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("try " + i),
                    FailureClass.TRANSIENT));
        }
        ClaimedExecution running = claim(engine, lane, "w");

        List<AttemptSnapshot> attempts = awaitAll(engine.executions().listAttempts(id));

        assertThat(attempts).extracting(AttemptSnapshot::attemptIndex).containsExactly(0, 1, 2);
        assertThat(attempts).extracting(AttemptSnapshot::type)
                .containsExactly(AttemptType.INITIAL, AttemptType.RETRY, AttemptType.RETRY);
        assertThat(attempts).extracting(AttemptSnapshot::endReason)
                .containsExactly(EndReason.RETRY_SCHEDULED, EndReason.RETRY_SCHEDULED, null);
        assertThat(attempts).extracting(AttemptSnapshot::lifecycle).containsExactly(AttemptLifecycle.ENDED_FAILURE,
                AttemptLifecycle.ENDED_FAILURE, AttemptLifecycle.STARTED);
        assertThat(attempts.get(2).endedAt()).isNull();
        assertThat(attempts.get(2).attemptId()).isEqualTo(running.attemptId());
        assertThat(attempts.get(2).leaseEpoch()).isEqualTo(running.leaseEpoch());
        assertThat(attempts.get(0).endedAt()).isNotNull();
        assertThat(attempts).extracting(AttemptSnapshot::attemptId).doesNotHaveDuplicates();
    }
}
