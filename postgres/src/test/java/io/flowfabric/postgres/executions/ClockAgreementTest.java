package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.execRow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExpiredLease;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * SC-08: engines sharing one database agree on time because every comparison happens in SQL against
 * {@code now_ms()}; a node's local clock takes no part. Two engines share the database and its (test-shifted) clock;
 * the JVM's own clock is deliberately made to disagree with the database clock by 10 minutes, and absolute instants
 * computed from it are shown to be judged on the database clock only.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClockAgreementTest {

    private PostgresEngine nodeA;
    private PostgresEngine nodeB;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        nodeA = EngineFixture.start(db, clock, b -> b.applicationName("ff-node-a"));
        nodeB = EngineFixture.start(db, clock, b -> b.applicationName("ff-node-b"));
    }

    @AfterAll
    void stop() {
        nodeA.close();
        nodeB.close();
    }

    @BeforeEach
    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private List<ExecutionId> expired(PostgresEngine node, String lane) {
        return await(node.executions().listExpiredLeases(null, null, 10_000)).items().stream()
                .filter(e -> e.lane().equals(lane)).map(ExpiredLease::executionId).toList();
    }

    @Test
    @DisplayName("SC-08 both nodes treat a 30 s lease as live until the database clock passes its expiry, and as expired after")
    void leaseExpiryAgreement() {
        String lane = lane("sc08-lease");
        ExecutionId id = create(nodeA, lane);
        ClaimedExecution claimed = claim(nodeA, claimRequest(lane, "w", Duration.ofSeconds(30)));
        long expiresAt = (Long) execRow(db, id, "lease_expires_at_ms").get("lease_expires_at_ms");

        clock.advance(Duration.ofSeconds(29));
        assertThat(expired(nodeA, lane)).isEmpty();
        assertThat(expired(nodeB, lane)).isEmpty();
        // The handle works on either node: the fence is checked against the database, not the node.
        await(nodeA.workers().progress(claimed.fence(), 10, "on A"));
        await(nodeB.workers().progress(claimed.fence(), 20, "on B"));

        clock.advance(Duration.ofSeconds(2));
        assertThat(await(nodeB.admin().serverTime()).toEpochMilli()).isGreaterThan(expiresAt);
        assertThat(expired(nodeA, lane)).containsExactly(id);
        assertThat(expired(nodeB, lane)).containsExactly(id);
        for (PostgresEngine node : List.of(nodeA, nodeB)) {
            StateException error = catchThrowableOfType(
                    () -> await(node.workers().progress(claimed.fence(), 30, "late")), StateException.class);
            assertThat(error).isNotNull();
            assertThat(error.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        }

        await(nodeB.reconcilers().tick("lease_expiry"));
        assertThat(ExecTestSupport.vector(db, id).get(1)).isEqualTo("lease_expired_reclaimable");
        StateException onA = catchThrowableOfType(
                () -> await(nodeA.workers().complete(claimed.fence(), null, null)), StateException.class);
        assertThat(onA.kind()).isEqualTo(StateException.Kind.LEASE_EXPIRED);
        ClaimedExecution reclaimed = claim(nodeA, lane, "w2");
        assertThat(reclaimed.executionId()).isEqualTo(id);
    }

    @Test
    @DisplayName("SC-08 delays agree: an absolute delay from a local clock 10 min behind the database is already over; one from serverTime() is honoured by both nodes")
    void delayAgreement() {
        String lane = lane("sc08-delay");
        clock.set(Duration.ofMinutes(10));
        Instant localNow = Instant.now();
        Instant serverNow = await(nodeA.admin().serverTime());
        assertThat(Duration.between(localNow, serverNow)).isGreaterThan(Duration.ofMinutes(9));
        assertThat(Duration.between(await(nodeA.admin().serverTime()), await(nodeB.admin().serverTime())).abs())
                .isLessThan(Duration.ofSeconds(5));

        // Five minutes ahead on the local clock is five minutes in the past on the database clock.
        CreateResult notDelayed = await(nodeA.executions().createExecution(CreateExecution.builder(lane)
                .delayUntil(localNow.plus(Duration.ofMinutes(5))).build()));
        assertThat(notDelayed.publicState()).isEqualTo(PublicState.WAITING);
        assertThat(claim(nodeB, lane, "w").executionId()).isEqualTo(notDelayed.executionId());

        CreateResult delayed = await(nodeA.executions().createExecution(CreateExecution.builder(lane)
                .delayUntil(serverNow.plus(Duration.ofMinutes(5))).build()));
        assertThat(delayed.publicState()).isEqualTo(PublicState.DELAYED);
        assertThat(execRow(db, delayed.executionId(), "delay_until_ms"))
                .containsEntry("delay_until_ms", serverNow.plus(Duration.ofMinutes(5)).toEpochMilli());
        assertThat(await(nodeB.workers().claim(claimRequest(lane, "w")))).isNull();
        await(nodeB.reconcilers().tick("delayed_promoter"));
        assertThat(await(nodeA.workers().claim(claimRequest(lane, "w")))).isNull();

        clock.advance(Duration.ofMinutes(5));
        await(nodeB.reconcilers().tick("delayed_promoter"));
        assertThat(await(nodeA.executions().readExecutionState(delayed.executionId()))).contains(PublicState.WAITING);
        assertThat(claim(nodeA, lane, "w").executionId()).isEqualTo(delayed.executionId());
    }

    @Test
    @DisplayName("SC-08 deadlines agree: a relative deadline is stamped from the database clock and reads the same on both nodes")
    void deadlineAgreement() {
        String lane = lane("sc08-deadline");
        clock.set(Duration.ofMinutes(10));

        ExecutionId id = create(nodeA, CreateExecution.builder(lane).deadlineAfter(Duration.ofMinutes(1)).build());

        var row = execRow(db, id, "created_at_ms, deadline_at_ms");
        assertThat((Long) row.get("deadline_at_ms")).isEqualTo((Long) row.get("created_at_ms") + 60_000);
        assertThat((Long) row.get("created_at_ms")).isGreaterThan(Instant.now().plus(Duration.ofMinutes(9)).toEpochMilli());
        Instant onA = await(nodeA.executions().describeExecution(id)).orElseThrow().times().deadlineAt();
        Instant onB = await(nodeB.executions().describeExecution(id)).orElseThrow().times().deadlineAt();
        assertThat(onA).isEqualTo(onB).isEqualTo(Instant.ofEpochMilli((Long) row.get("deadline_at_ms")));
    }
}
