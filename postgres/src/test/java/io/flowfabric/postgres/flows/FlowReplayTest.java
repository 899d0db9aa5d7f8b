package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.awaitClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.completionEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.counts;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.execRow;
import static io.flowfabric.postgres.flows.FlowTestSupport.failPermanently;
import static io.flowfabric.postgres.flows.FlowTestSupport.groupState;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.state;
import static io.flowfabric.postgres.flows.FlowTestSupport.tryClaim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.ReplayOptions;
import io.flowfabric.core.execution.Replayed;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code replayExecution} of flow members (spec 02 §8.4, 03 §11): a downstream's group is reset, edges whose upstream
 * is terminal resolve again at once, and the decision releases, skips or blocks the replayed downstream; a member of
 * a cancelled flow cannot be replayed.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowReplayTest {

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

    private Replayed replay(ExecutionId id) {
        return await(engine.operator().replayExecution(id, ReplayOptions.none()));
    }

    private String replayedDetail(ExecutionId id, String key) {
        return (String) db.queryValue("SELECT details ->> ? FROM flowfabric.ff_operator_event"
                + " WHERE subject_kind = 'execution' AND subject_id = ? AND event_type = 'replayed'"
                + " ORDER BY event_id DESC LIMIT 1", key, id.toString()).orElseThrow();
    }

    /** A failed and B skipped, with all_of A -> B; returns [A, B] and the lanes through the arrays given. */
    private ExecutionId[] failedAndSkipped(FlowId flow, String laneA, String laneB) {
        ExecutionId a = member(engine, flow, laneA);
        ExecutionId b = member(engine, flow, laneB, a);
        failPermanently(engine, claim(engine, laneA, a));
        eventually().until(() -> state(engine, b) == PublicState.SKIPPED);
        assertThat(groupState(db, flow, b)).isEqualTo("impossible");
        return new ExecutionId[] {a, b};
    }

    @Test
    @DisplayName("DG-13 A failed, B skipped (all_of A->B); replay A, replay B, complete A: B waiting_children with pending_replay_attempt and its failed resolution cleared; after A completes B is waiting; B's claim is a replay attempt; operator event replayed{flow_member, groupsReset 1}")
    void replayUpstreamThenDownstream() {
        FlowId flow = FlowTestSupport.flow(engine, "dg13");
        String laneA = lane("dg13a");
        String laneB = lane("dg13b");
        ExecutionId[] ab = failedAndSkipped(flow, laneA, laneB);
        ExecutionId a = ab[0];
        ExecutionId b = ab[1];

        assertThat(replay(a)).isEqualTo(new Replayed(PublicState.WAITING));
        assertThat(replayedDetail(a, "branch")).isEqualTo("normal");
        Replayed replayedB = replay(b);

        assertThat(replayedB).isEqualTo(new Replayed(PublicState.WAITING_CHILDREN));
        assertThat(execRow(db, b, "eligibility_state, blocking_reason, attempt_state, replay_count"))
                .containsEntry("eligibility_state", "blocked_by_dependencies")
                .containsEntry("blocking_reason", "waiting_for_children")
                .containsEntry("attempt_state", "pending_replay_attempt").containsEntry("replay_count", 1);
        List<EdgeSnapshot> into = await(engine.flows().listEdges(flow, b, false).collectList());
        assertThat(into).singleElement().satisfies(e -> {
            assertThat(e.state()).isEqualTo("applied");
            assertThat(e.resolution()).isNull();
            assertThat(e.resolvedAt()).isNull();
        });
        assertThat(counts(db, flow, b)).containsExactly(1, 0, 0, 0);
        assertThat(groupState(db, flow, b)).isEqualTo("pending");
        assertThat(FlowTestSupport.groupRow(db, flow, b)).containsEntry("decided_at_ms", null)
                .containsEntry("decided_by_event_id", null);
        assertThat(replayedDetail(b, "branch")).isEqualTo("flow_member");
        assertThat(replayedDetail(b, "groupsReset")).isEqualTo("1");
        assertThat(tryClaim(engine, laneB)).as("B before A completed").isNull();

        ClaimedExecution claimedA = claim(engine, laneA, a);
        assertThat(claimedA.attemptType()).isEqualTo(AttemptType.REPLAY);
        complete(engine, claimedA);
        eventually().until(() -> state(engine, b) == PublicState.WAITING);
        ClaimedExecution claimedB = awaitClaim(engine, laneB, b);

        assertThat(claimedB.attemptType()).isEqualTo(AttemptType.REPLAY);
        assertThat(claimedB.attemptIndex()).isZero();
        assertThat(groupState(db, flow, b)).isEqualTo("satisfied");
        assertThat(counts(db, flow, b)).containsExactly(1, 1, 0, 0);
    }

    @Test
    @DisplayName("DG-14 as DG-13, replay B while A is still failed: B is skipped again at once with a new skipped completion event")
    void replayDownstreamWhileUpstreamFailed() {
        FlowId flow = FlowTestSupport.flow(engine, "dg14");
        ExecutionId[] ab = failedAndSkipped(flow, lane("dg14a"), lane("dg14b"));
        ExecutionId b = ab[1];
        assertThat(completionEvents(db, b, "skipped")).isEqualTo(1);

        assertThat(replay(b)).isEqualTo(new Replayed(PublicState.SKIPPED));

        assertThat(completionEvents(db, b, "skipped")).isEqualTo(2);
        assertThat(groupState(db, flow, b)).isEqualTo("impossible");
        assertThat(counts(db, flow, b)).containsExactly(1, 0, 1, 0);
        assertThat(execRow(db, b, "replay_count, public_state")).containsEntry("replay_count", 1)
                .containsEntry("public_state", "skipped");
        assertThat(replayedDetail(b, "branch")).isEqualTo("flow_member");
        List<EdgeSnapshot> into = await(engine.flows().listEdges(flow, b, false).collectList());
        assertThat(into).singleElement().satisfies(e -> assertThat(e.resolution()).isEqualTo("failed"));
    }

    @Test
    @DisplayName("replaying a failed downstream whose group was satisfied keeps the success resolution, re-latches satisfied and makes it claimable at once as a replay attempt")
    void replayDownstreamOfSatisfiedGroup() {
        FlowId flow = FlowTestSupport.flow(engine, "replay-satisfied");
        String laneA = lane("rsa");
        String laneB = lane("rsb");
        ExecutionId a = member(engine, flow, laneA);
        ExecutionId b = member(engine, flow, laneB, a);
        complete(engine, claim(engine, laneA, a));
        failPermanently(engine, awaitClaim(engine, laneB, b));
        assertThat(state(engine, b)).isEqualTo(PublicState.FAILED);

        assertThat(replay(b)).isEqualTo(new Replayed(PublicState.WAITING));

        assertThat(groupState(db, flow, b)).isEqualTo("satisfied");
        assertThat(counts(db, flow, b)).containsExactly(1, 1, 0, 0);
        assertThat(execRow(db, b, "eligibility_state, attempt_state"))
                .containsEntry("eligibility_state", "eligible_now")
                .containsEntry("attempt_state", "pending_replay_attempt");
        ClaimedExecution again = claim(engine, laneB, b);
        assertThat(again.attemptType()).isEqualTo(AttemptType.REPLAY);
        assertThat(again.attemptIndex()).isEqualTo(1);
        assertThat(completionEvents(db, a, "success")).isEqualTo(1);
    }

    @Test
    @DisplayName("a member of a cancelled flow cannot be replayed: FLOW_TERMINAL with nothing changed")
    void replayInCancelledFlow() {
        FlowId flow = FlowTestSupport.flow(engine, "replay-cancelled-flow");
        String laneA = lane("rcf");
        ExecutionId a = member(engine, flow, laneA);
        complete(engine, claim(engine, laneA, a));
        await(engine.flows().cancelFlow(new CancelFlow(flow, CancelFlow.Policy.FLOW_ONLY, "done", Duration.ZERO,
                "alice")));
        String before = (String) db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", a.partition(), a.uuid()).orElseThrow();

        StateException error = catchThrowableOfType(() -> replay(a), StateException.class);

        assertThat(error.kind()).isEqualTo(StateException.Kind.FLOW_TERMINAL);
        assertThat(db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", a.partition(), a.uuid())).contains(before);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_operator_event WHERE subject_id = ?"
                + " AND event_type = 'replayed'", a.toString())).isZero();
    }

    @Test
    @DisplayName("03 §11 all_of U1 -> D (ref report) and U2 -> D, U1 succeeded and U2 failed: replay U2 and D; D waits with the success kept and its copied input kept; once U2 completes D's replay claim carries U1's result")
    void replayKeepsSuccessfulEdgesAndTheirInputs() {
        FlowId flow = FlowTestSupport.flow(engine, "replay-kept");
        String laneU1 = lane("rk1");
        String laneU2 = lane("rk2");
        String laneD = lane("rkd");
        ExecutionId u1 = member(engine, flow, laneU1);
        ExecutionId u2 = member(engine, flow, laneU2);
        ExecutionId d = EngineFixture.create(engine, CreateExecution.builder(laneD).flowId(flow)
                .dependsOn(new Dependency(u1, "report")).dependsOn(u2).build());
        complete(engine, claim(engine, laneU1, u1), "R1", "text/plain");
        failPermanently(engine, claim(engine, laneU2, u2));
        eventually().until(() -> state(engine, d) == PublicState.SKIPPED);
        assertThat(counts(db, flow, d)).containsExactly(2, 1, 1, 0);

        replay(u2);
        assertThat(replay(d)).isEqualTo(new Replayed(PublicState.WAITING_CHILDREN));

        assertThat(counts(db, flow, d)).containsExactly(2, 1, 0, 0);
        assertThat(groupState(db, flow, d)).isEqualTo("pending");
        assertThat(await(engine.flows().listEdges(flow, d, false).collectList()))
                .extracting(EdgeSnapshot::upstreamId, EdgeSnapshot::resolution)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(u1, "success"),
                        org.assertj.core.groups.Tuple.tuple(u2, null));
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_dependency_input WHERE partition_key = ?"
                + " AND downstream_id = ? AND ref = 'report'", d.partition(), d.uuid())).isEqualTo(1);

        complete(engine, claim(engine, laneU2, u2));
        ClaimedExecution claimedD = awaitClaim(engine, laneD, d);
        assertThat(claimedD.attemptType()).isEqualTo(AttemptType.REPLAY);
        assertThat(claimedD.dependencyInputs().get("report").utf8()).isEqualTo("R1");
        assertThat(counts(db, flow, d)).containsExactly(2, 2, 0, 0);
    }

    @Test
    @DisplayName("03 §11 any_of(cancel_remaining) with U1 succeeded and U2 cancelled as a sibling, D failed: replaying D clears U2's failed resolution, resolves it again from the cancelled U2, re-latches satisfied and releases D at once")
    void replayReResolvesTerminalUpstreams() {
        FlowId flow = FlowTestSupport.flow(engine, "replay-any-of");
        String laneU1 = lane("ra1");
        String laneU2 = lane("ra2");
        String laneD = lane("rad");
        ExecutionId u1 = member(engine, flow, laneU1);
        ExecutionId u2 = member(engine, flow, laneU2);
        ExecutionId d = member(engine, flow, laneD, EdgeGroupPolicy.anyOf(OnSatisfied.CANCEL_REMAINING), u1, u2);
        complete(engine, claim(engine, laneU1, u1));
        eventually().until(() -> state(engine, u2) == PublicState.CANCELLED);
        failPermanently(engine, awaitClaim(engine, laneD, d));
        eventually().until(() -> counts(db, flow, d).equals(List.of(2, 1, 1, 0)));
        long decidedBefore = (Long) FlowTestSupport.groupRow(db, flow, d).get("decided_at_ms");

        assertThat(replay(d)).isEqualTo(new Replayed(PublicState.WAITING));

        assertThat(groupState(db, flow, d)).isEqualTo("satisfied");
        assertThat(counts(db, flow, d)).containsExactly(2, 1, 1, 0);
        assertThat(FlowTestSupport.groupRow(db, flow, d)).containsEntry("cancel_siblings_pending", false);
        assertThat((Long) FlowTestSupport.groupRow(db, flow, d).get("decided_at_ms"))
                .isGreaterThanOrEqualTo(decidedBefore);
        assertThat(FlowTestSupport.siblingRows(db, flow)).isZero();
        ClaimedExecution again = claim(engine, laneD, d);
        assertThat(again.attemptType()).isEqualTo(AttemptType.REPLAY);
        assertThat(again.attemptIndex()).isEqualTo(1);
    }
}
