package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.claimRequest;
import static io.flowfabric.postgres.executions.ExecTestSupport.storedVector;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.PublicStates;
import io.flowfabric.core.state.StateVector;
import io.flowfabric.core.state.StateVectors;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * SC-05: after every lifecycle transition the stored vector (read through plain SQL) is one of the vectors of spec 01
 * §5.2 written in canonical literals, and the generated {@code public_state} equals {@link PublicStates#derive}.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateVectorTest {

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

    /** Reads the row through plain SQL and checks it against the derivation and the expected §5.2 vector. */
    private void expect(ExecutionId id, StateVector expected, PublicState publicState) {
        StateVector stored = storedVector(db, id);
        String storedPublic = (String) ExecTestSupport.execRow(db, id, "public_state").get("public_state");
        assertThat(stored).isEqualTo(expected);
        assertThat(storedPublic).isEqualTo(publicState.literal());
        assertThat(PublicState.fromLiteral(storedPublic)).isEqualTo(PublicStates.derive(stored.lifecycle(),
                stored.ownership(), stored.eligibility(), stored.attemptState(), stored.outcome()));
        assertThat(StateVectors.allWritten()).contains(stored);
        assertThat(await(engine.executions().readExecutionState(id))).contains(publicState);
        assertThat(await(engine.executions().describeExecution(id)).orElseThrow().state()).isEqualTo(stored);
    }

    @Test
    @DisplayName("SC-05 created, claimed, completed: ready, running, terminal(success) vectors; public_state = derive")
    void createClaimComplete() {
        String lane = lane("sc05a");
        ExecutionId id = create(engine, lane);
        expect(id, StateVectors.READY, PublicState.WAITING);

        ClaimedExecution claimed = claim(engine, lane, "w");
        expect(id, StateVectors.RUNNING, PublicState.ACTIVE);

        await(engine.workers().complete(claimed.fence(), null, null));
        expect(id, StateVectors.terminal(TerminalOutcome.SUCCESS, true), PublicState.COMPLETED);
    }

    @Test
    @DisplayName("SC-05 created delayed, worker delay, promoted, resumed, cancelled by the holder")
    void delays() {
        String lane = lane("sc05b");
        ExecutionId id = create(engine, CreateExecution.builder(lane).delayFor(Duration.ofSeconds(5)).build());
        expect(id, StateVectors.CREATED_DELAYED, PublicState.DELAYED);
        clock.advance(Duration.ofSeconds(5));
        await(engine.reconcilers().tick("delayed_promoter"));
        expect(id, StateVectors.READY, PublicState.WAITING);

        ClaimedExecution first = claim(engine, lane, "w");
        await(engine.workers().delay(first.fence(), Duration.ofSeconds(10)));
        expect(id, StateVectors.WORKER_DELAYED, PublicState.DELAYED);
        clock.advance(Duration.ofSeconds(10));
        await(engine.reconcilers().tick("delayed_promoter"));
        expect(id, StateVectors.PAUSED_READY, PublicState.RESUMABLE);

        ClaimedExecution resumed = claim(engine, lane, "w");
        expect(id, StateVectors.RUNNING, PublicState.ACTIVE);
        await(engine.workers().cancel(resumed.fence(), "done here"));
        expect(id, StateVectors.terminal(TerminalOutcome.CANCELLED, true), PublicState.CANCELLED);
    }

    @Test
    @DisplayName("SC-05 retry backoff, retry ready, terminal failed; lease expired awaiting reclaim; operator cancel of a never-run execution")
    void retriesExpiryCancel() {
        String lane = lane("sc05c");
        ExecutionId backoff = create(engine, CreateExecution.builder(lane).policy(ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(1).backoff(Backoff.fixed(Duration.ofSeconds(1))).build())
                .build()).build());
        await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("x"), FailureClass.TRANSIENT));
        expect(backoff, StateVectors.RETRY_BACKOFF, PublicState.DELAYED);
        clock.advance(Duration.ofSeconds(1));
        await(engine.reconcilers().tick("delayed_promoter"));
        expect(backoff, StateVectors.RETRY_READY, PublicState.WAITING);
        await(engine.workers().fail(claim(engine, lane, "w").fence(), FailureReason.of("y"), FailureClass.TRANSIENT));
        expect(backoff, StateVectors.terminal(TerminalOutcome.FAILED, true), PublicState.FAILED);

        String expiringLane = lane("sc05d");
        ExecutionId expiring = create(engine, expiringLane);
        claim(engine, claimRequest(expiringLane, "w", Duration.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(2));
        expect(expiring, StateVectors.RUNNING, PublicState.ACTIVE);
        await(engine.reconcilers().tick("lease_expiry"));
        expect(expiring, StateVectors.LEASE_EXPIRED_AWAITING_RECLAIM, PublicState.WAITING);

        ExecutionId neverRun = create(engine, lane("sc05e"));
        await(engine.operator().cancelExecution(neverRun, null, null));
        expect(neverRun, StateVectors.terminal(TerminalOutcome.CANCELLED, false), PublicState.CANCELLED);
    }

    @Test
    @DisplayName("SC-05 every execution row written by this class holds canonical literals, a §5.2 vector and public_state = derive")
    void allRowsCanonical() {
        createClaimComplete();
        delays();
        retriesExpiryCancel();

        int checked = ExecTestSupport.assertAllRowsCanonical(db);

        assertThat(checked).isGreaterThanOrEqualTo(5);
        Map<String, Long> byPublicState = new LinkedHashMap<>();
        db.queryRows("SELECT public_state, count(*) AS n FROM flowfabric.ff_exec_core GROUP BY public_state")
                .forEach(r -> byPublicState.put((String) r.get("public_state"), (Long) r.get("n")));
        assertThat(byPublicState.keySet()).allSatisfy(s -> assertThat(PublicState.fromLiteral(s)).isNotNull());
    }
}
