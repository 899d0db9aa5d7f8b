package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.counts;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.failPermanently;
import static io.flowfabric.postgres.flows.FlowTestSupport.graphRevision;
import static io.flowfabric.postgres.flows.FlowTestSupport.group;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.state;
import static io.flowfabric.postgres.flows.FlowTestSupport.storedState;
import static io.flowfabric.postgres.flows.FlowTestSupport.tryClaim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.ConflictException;
import io.flowfabric.core.error.ContentionException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.flows.FlowResults;
import io.flowfabric.core.flows.FlowSnapshot;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.flows.StageEdge;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/** Flow structure (spec 03 §1–§5): creation, membership, policies, staging with compare-and-set, applying, reads. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowStructureTest {

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

    private FlowResults.Staged stage(FlowId flow, ExecutionId up, ExecutionId down, long expected) {
        return await(engine.flows().stageDependencyEdge(StageEdge.of(flow, up, down, expected)));
    }

    private <T extends Throwable> T stageFails(Class<T> type, StageEdge request) {
        T error = catchThrowableOfType(() -> await(engine.flows().stageDependencyEdge(request)), type);
        assertThat(error).as("staging %s fails with %s", request, type.getSimpleName()).isNotNull();
        return error;
    }

    /** An execution minted for {@code flow}'s partition but not (yet) a member of it. */
    private ExecutionId outsider(FlowId flow, String lane) {
        return create(engine, CreateExecution.builder(lane).executionId(ExecutionId.forFlow(flow)).build());
    }

    @Test
    @DisplayName("FL-01 create a flow twice: Created, then AlreadyExists with nothing changed")
    void createFlowTwice() {
        FlowId id = FlowId.random();
        CreateFlow request = CreateFlow.of("default", "structure").withId(id);

        assertThat(await(engine.flows().createFlow(request))).isEqualTo(new FlowResults.FlowCreated.Created(id));
        FlowSnapshot before = await(engine.flows().describeFlow(id)).orElseThrow();
        assertThat(await(engine.flows().createFlow(request.withId(id))))
                .isEqualTo(new FlowResults.FlowCreated.AlreadyExists(id));

        FlowSnapshot after = await(engine.flows().describeFlow(id)).orElseThrow();
        assertThat(after).isEqualTo(before);
        assertThat(after.state()).isEqualTo("open");
        assertThat(after.kind()).isEqualTo("structure");
        assertThat(after.graphRevision()).isZero();
        assertThat(after.nodeCount()).isZero();
        assertThat(after.edgeCount()).isZero();
        assertThat(after.groups()).isEmpty();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_flow_core WHERE flow_id = ?", id.uuid()))
                .isEqualTo(1);
    }

    @Test
    @DisplayName("FL-02/FL-03 add a member twice: Added{1, revision 1}, then AlreadyMember; partition mismatch and member of another flow change nothing")
    void addMembers() {
        String lane = lane("fl02");
        FlowId flow = FlowTestSupport.flow(engine, "members");
        ExecutionId x = outsider(flow, lane);

        assertThat(await(engine.flows().addExecutionToFlow(flow, x)))
                .isEqualTo(new FlowResults.MemberAdded.Added(1, 1));
        assertThat(await(engine.flows().addExecutionToFlow(flow, x)))
                .isEqualTo(new FlowResults.MemberAdded.AlreadyMember(1));
        assertThat(graphRevision(db, flow)).isEqualTo(1);

        // An id minted for another partition.
        ExecutionId standalone;
        do {
            standalone = ExecutionId.standalone();
        } while (standalone.partition() == flow.partition());
        ExecutionId foreign = create(engine, CreateExecution.builder(lane).executionId(standalone).build());
        ValidationException mismatch = catchThrowableOfType(
                () -> await(engine.flows().addExecutionToFlow(flow, foreign)), ValidationException.class);
        assertThat(mismatch.kind()).isEqualTo(ValidationException.Kind.PARTITION_MISMATCH);

        // A member of another flow of the same partition.
        FlowId other;
        do {
            other = FlowId.random();
        } while (other.partition() != flow.partition());
        await(engine.flows().createFlow(CreateFlow.of("default", "other").withId(other)));
        FlowId otherFlow = other;
        ConflictException taken = catchThrowableOfType(
                () -> await(engine.flows().addExecutionToFlow(otherFlow, x)), ConflictException.class);
        assertThat(taken.kind()).isEqualTo(ConflictException.Kind.MEMBER_OF_OTHER_FLOW);

        assertThat(graphRevision(db, flow)).isEqualTo(1);
        assertThat(graphRevision(db, other)).isZero();
        FlowSnapshot snapshot = await(engine.flows().describeFlow(flow)).orElseThrow();
        assertThat(snapshot.nodeCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("FL-04..FL-06 stage with compare-and-set: Staged, STALE_GRAPH_REVISION, SELF_EDGE, NOT_FLOW_MEMBER, DEPENDENCY_ALREADY_EXISTS, CYCLE_DETECTED; failures write nothing")
    void stagingChecks() {
        String lane = lane("fl04");
        FlowId flow = FlowTestSupport.flow(engine, "staging");
        ExecutionId a = member(engine, flow, lane);
        ExecutionId b = member(engine, flow, lane);
        ExecutionId c = member(engine, flow, lane);
        assertThat(graphRevision(db, flow)).isEqualTo(3);

        FlowResults.Staged ab = stage(flow, a, b, 3);
        assertThat(ab.graphRevision()).isEqualTo(4);

        ContentionException stale = stageFails(ContentionException.class, StageEdge.of(flow, b, c, 3));
        assertThat(stale.kind()).isEqualTo(ContentionException.Kind.STALE_GRAPH_REVISION);
        assertThat(stale.retryable()).isTrue();
        assertThat(stale.getMessage()).contains("4");
        assertThat(graphRevision(db, flow)).isEqualTo(4);

        FlowResults.Staged bc = stage(flow, b, c, 4);
        assertThat(bc.graphRevision()).isEqualTo(5);

        ValidationException self = stageFails(ValidationException.class, StageEdge.of(flow, a, a, 5));
        assertThat(self.kind()).isEqualTo(ValidationException.Kind.SELF_EDGE);

        ExecutionId notMember = outsider(flow, lane);
        ValidationException outside = stageFails(ValidationException.class,
                StageEdge.of(flow, a, notMember, 5));
        assertThat(outside.kind()).isEqualTo(ValidationException.Kind.NOT_FLOW_MEMBER);
        ValidationException outsideUp = stageFails(ValidationException.class,
                StageEdge.of(flow, notMember, a, 5));
        assertThat(outsideUp.kind()).isEqualTo(ValidationException.Kind.NOT_FLOW_MEMBER);

        ConflictException duplicate = stageFails(ConflictException.class, StageEdge.of(flow, a, b, 5));
        assertThat(duplicate.kind()).isEqualTo(ConflictException.Kind.DEPENDENCY_ALREADY_EXISTS);
        assertThat(duplicate.getMessage()).contains(ab.edgeId().uuid().toString());
        ConflictException sameId = stageFails(ConflictException.class,
                new StageEdge(flow, ab.edgeId(), a, c, null, 5));
        assertThat(sameId.kind()).isEqualTo(ConflictException.Kind.DEPENDENCY_ALREADY_EXISTS);

        ValidationException cycle = stageFails(ValidationException.class, StageEdge.of(flow, c, a, 5));
        assertThat(cycle.kind()).isEqualTo(ValidationException.Kind.CYCLE_DETECTED);

        // Every failure rolled back its compare-and-set: revision, edge count, edges and groups are unchanged.
        assertThat(graphRevision(db, flow)).isEqualTo(5);
        FlowSnapshot snapshot = await(engine.flows().describeFlow(flow)).orElseThrow();
        assertThat(snapshot.graphRevision()).isEqualTo(5);
        assertThat(snapshot.edgeCount()).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_edge WHERE partition_key = ? AND flow_id = ?",
                flow.partition(), flow.uuid())).isEqualTo(2);
        assertThat(snapshot.groups()).extracting(EdgeGroupSnapshot::downstreamId).containsExactlyInAnyOrder(b, c);
        assertThat(snapshot.groups()).allSatisfy(g -> {
            assertThat(g.staged()).isEqualTo(1);
            assertThat(g.sealed()).isFalse();
            assertThat(g.policy()).isEqualTo(EdgeGroupPolicy.allOf());
        });
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_edge_group WHERE partition_key = ?"
                + " AND flow_id = ? AND downstream_id = ?", flow.partition(), flow.uuid(), a.uuid())).isZero();
        // Staged but not applied: nobody is blocked yet.
        assertThat(state(engine, b)).isEqualTo(PublicState.WAITING);
    }

    @Test
    @DisplayName("FL-08/FL-09 apply an edge into a never-started downstream: Applied{1, pending}, waiting_children, AlreadyApplied; staging into the sealed group is GROUP_SEALED")
    void applyAndSeal() {
        String lane = lane("fl08");
        FlowId flow = FlowTestSupport.flow(engine, "apply");
        ExecutionId a = member(engine, flow, lane);
        ExecutionId d = member(engine, flow, lane);
        ExecutionId e = member(engine, flow, lane);
        FlowResults.Staged ad = stage(flow, a, d, 3);

        assertThat(await(engine.flows().applyDependency(flow, ad.edgeId())))
                .isEqualTo(new FlowResults.ApplyResult.Applied(1, GroupDecision.PENDING));
        assertThat(state(engine, d)).isEqualTo(PublicState.WAITING_CHILDREN);
        assertThat(storedState(db, d)).isEqualTo("waiting_children");
        assertThat(FlowTestSupport.execRow(db, d, "eligibility_state, blocking_reason"))
                .containsEntry("eligibility_state", "blocked_by_dependencies")
                .containsEntry("blocking_reason", "waiting_for_children");
        assertThat(await(engine.flows().applyDependency(flow, ad.edgeId())))
                .isEqualTo(new FlowResults.ApplyResult.AlreadyApplied());

        ConflictException sealed = stageFails(ConflictException.class, StageEdge.of(flow, e, d, 4));
        assertThat(sealed.kind()).isEqualTo(ConflictException.Kind.GROUP_SEALED);
        assertThat(graphRevision(db, flow)).isEqualTo(4);
        assertThat(counts(db, flow, d)).containsExactly(1, 0, 0, 0);
    }

    @Test
    @DisplayName("FL-07 setEdgeGroupPolicy: SET, ALREADY_SET, POLICY_FIXED once staged (even for an equal policy), INVALID_POLICY for quorum k 0, NOT_FLOW_MEMBER")
    void edgeGroupPolicy() {
        String lane = lane("fl07");
        FlowId flow = FlowTestSupport.flow(engine, "policy");
        ExecutionId a = member(engine, flow, lane);
        ExecutionId d = member(engine, flow, lane);
        ExecutionId e = member(engine, flow, lane);
        EdgeGroupPolicy anyOf = EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN);

        assertThat(await(engine.flows().setEdgeGroupPolicy(flow, d, anyOf))).isEqualTo(FlowResults.PolicySet.SET);
        assertThat(await(engine.flows().setEdgeGroupPolicy(flow, d, anyOf)))
                .isEqualTo(FlowResults.PolicySet.ALREADY_SET);
        EdgeGroupPolicy quorum = EdgeGroupPolicy.quorum(2, OnSatisfied.CANCEL_REMAINING);
        assertThat(await(engine.flows().setEdgeGroupPolicy(flow, d, quorum))).isEqualTo(FlowResults.PolicySet.SET);
        assertThat(group(engine, flow, d).policy()).isEqualTo(quorum);
        assertThat(FlowTestSupport.groupRow(db, flow, d)).containsEntry("policy_kind", "quorum")
                .containsEntry("quorum_k", 2).containsEntry("on_satisfied", "cancel_remaining");
        assertThat(await(engine.flows().setEdgeGroupPolicy(flow, d, anyOf))).isEqualTo(FlowResults.PolicySet.SET);

        stage(flow, a, d, graphRevision(db, flow));
        ValidationException fixed = catchThrowableOfType(
                () -> await(engine.flows().setEdgeGroupPolicy(flow, d, EdgeGroupPolicy.allOf())),
                ValidationException.class);
        assertThat(fixed.kind()).isEqualTo(ValidationException.Kind.POLICY_FIXED);
        ValidationException fixedEqual = catchThrowableOfType(
                () -> await(engine.flows().setEdgeGroupPolicy(flow, d, anyOf)), ValidationException.class);
        assertThat(fixedEqual.kind()).isEqualTo(ValidationException.Kind.POLICY_FIXED);
        assertThat(group(engine, flow, d).policy()).isEqualTo(anyOf);

        // The record validates k in its constructor, so the error surfaces inside the pipeline.
        ValidationException invalid = catchThrowableOfType(() -> await(Mono.fromCallable(
                        () -> EdgeGroupPolicy.quorum(0, OnSatisfied.LET_RUN))
                .flatMap(p -> engine.flows().setEdgeGroupPolicy(flow, e, p))), ValidationException.class);
        assertThat(invalid.kind()).isEqualTo(ValidationException.Kind.INVALID_POLICY);
        assertThat(await(engine.flows().readEdgeGroup(flow, e))).isEmpty();

        ExecutionId outsider = outsider(flow, lane);
        ValidationException notMember = catchThrowableOfType(
                () -> await(engine.flows().setEdgeGroupPolicy(flow, outsider, anyOf)), ValidationException.class);
        assertThat(notMember.kind()).isEqualTo(ValidationException.Kind.NOT_FLOW_MEMBER);
        assertThat(await(engine.flows().readEdgeGroup(flow, outsider))).isEmpty();
    }

    @Test
    @DisplayName("FL-10 applying the only edge of an already completed upstream resolves it in the same transaction: satisfied, downstream waiting")
    void applyWithTerminalUpstream() {
        String laneU = lane("fl10u");
        String laneD = lane("fl10d");
        FlowId flow = FlowTestSupport.flow(engine, "apply-terminal");
        ExecutionId u = member(engine, flow, laneU);
        ExecutionId d = member(engine, flow, laneD);
        complete(engine, claim(engine, laneU, u));
        FlowResults.Staged ud = stage(flow, u, d, graphRevision(db, flow));

        assertThat(await(engine.flows().applyDependency(flow, ud.edgeId())))
                .isEqualTo(new FlowResults.ApplyResult.Applied(0, GroupDecision.SATISFIED));
        assertThat(storedState(db, d)).isEqualTo("waiting");
        List<EdgeSnapshot> out = await(engine.flows().listEdges(flow, u, true).collectList());
        assertThat(out).hasSize(1);
        EdgeSnapshot edge = out.get(0);
        assertThat(edge.edgeId()).isEqualTo(ud.edgeId());
        assertThat(edge.state()).isEqualTo("resolved");
        assertThat(edge.resolution()).isEqualTo("success");
        assertThat(claim(engine, laneD, d)).isNotNull();
    }

    @Test
    @DisplayName("FL-11 create D dependsOn [A running, B completed]: born waiting_children, sealed n 2 s 1, B's edge resolved; completing A releases D")
    void dependsOnMixedUpstreams() {
        String laneA = lane("fl11a");
        String laneB = lane("fl11b");
        String laneD = lane("fl11d");
        FlowId flow = FlowTestSupport.flow(engine, "mixed");
        ExecutionId a = member(engine, flow, laneA);
        ExecutionId b = member(engine, flow, laneB);
        ClaimedExecution runningA = claim(engine, laneA, a);
        complete(engine, claim(engine, laneB, b));

        ExecutionId d = member(engine, flow, laneD, a, b);

        assertThat(storedState(db, d)).isEqualTo("waiting_children");
        EdgeGroupSnapshot g = group(engine, flow, d);
        assertThat(g.sealed()).isTrue();
        assertThat(g.staged()).isEqualTo(2);
        assertThat(g.success()).isEqualTo(1);
        assertThat(g.unresolved()).isEqualTo(1);
        assertThat(g.decision()).isEqualTo(GroupDecision.PENDING);
        List<EdgeSnapshot> into = await(engine.flows().listEdges(flow, d, false).collectList());
        assertThat(into).hasSize(2);
        EdgeSnapshot fromB = into.stream().filter(x -> x.upstreamId().equals(b)).findFirst().orElseThrow();
        assertThat(fromB.state()).isEqualTo("resolved");
        assertThat(fromB.resolution()).isEqualTo("success");
        assertThat(tryClaim(engine, laneD)).isNull();

        complete(engine, runningA);
        eventually().until(() -> state(engine, d) == PublicState.WAITING);
        assertThat(group(engine, flow, d).decision()).isEqualTo(GroupDecision.SATISFIED);
    }

    @Test
    @DisplayName("describeFlow, readEdgeGroup and listEdges report the true counts, resolutions and latched decision")
    void readsReportTrueCounts() {
        String lane1 = lane("rd1");
        String lane2 = lane("rd2");
        String lane3 = lane("rd3");
        String laneD = lane("rdd");
        FlowId flow = await(engine.flows().createFlow(new CreateFlow(null, "default", "reads",
                Map.of("app.team", "blue")))).flowId();
        ExecutionId u1 = member(engine, flow, lane1);
        ExecutionId u2 = member(engine, flow, lane2);
        ExecutionId u3 = member(engine, flow, lane3);
        ExecutionId d = member(engine, flow, laneD, EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN), u1, u2, u3);
        ExecutionId lone = member(engine, flow, laneD);

        EdgeGroupSnapshot initial = group(engine, flow, d);
        assertThat(initial).isEqualTo(new EdgeGroupSnapshot(d, EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN), 3, 0, 0,
                0, 3, true, GroupDecision.PENDING, false));

        // u1 fails (counted, still pending), u2 completes (satisfies and latches), u3 completes (counted only).
        failPermanently(engine, claim(engine, lane1, u1));
        eventually().until(() -> group(engine, flow, d).failed() == 1);
        assertThat(group(engine, flow, d).decision()).isEqualTo(GroupDecision.PENDING);
        assertThat(group(engine, flow, d).unresolved()).isEqualTo(2);
        complete(engine, claim(engine, lane2, u2));
        eventually().until(() -> group(engine, flow, d).decision() == GroupDecision.SATISFIED);
        complete(engine, claim(engine, lane3, u3));
        eventually().until(() -> group(engine, flow, d).success() == 2);
        ExecutionId failed = u1;

        EdgeGroupSnapshot g = group(engine, flow, d);
        assertThat(g).isEqualTo(new EdgeGroupSnapshot(d, EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN), 3, 2, 1, 0, 0,
                true, GroupDecision.SATISFIED, false));
        assertThat(FlowTestSupport.groupRow(db, flow, d)).containsEntry("success_count", 2)
                .containsEntry("failed_count", 1).containsEntry("group_state", "satisfied");

        FlowSnapshot snapshot = await(engine.flows().describeFlow(flow)).orElseThrow();
        assertThat(snapshot.flowId()).isEqualTo(flow);
        assertThat(snapshot.namespace()).isEqualTo("default");
        assertThat(snapshot.kind()).isEqualTo("reads");
        assertThat(snapshot.tags()).containsEntry("app.team", "blue");
        assertThat(snapshot.state()).isEqualTo("open");
        assertThat(snapshot.nodeCount()).isEqualTo(5);
        assertThat(snapshot.edgeCount()).isEqualTo(3);
        assertThat(snapshot.graphRevision()).isEqualTo(8);
        assertThat(snapshot.terminalAt()).isNull();
        assertThat(snapshot.cancellationPolicy()).isNull();
        assertThat(snapshot.groups()).containsExactly(g);

        List<EdgeSnapshot> into = await(engine.flows().listEdges(flow, d, false).collectList());
        assertThat(into).hasSize(3);
        // PostgreSQL orders uuids by their bytes, which is the order of their lowercase text.
        assertThat(into).extracting(x -> x.edgeId().uuid().toString()).isSorted();
        assertThat(into).allSatisfy(x -> {
            assertThat(x.downstreamId()).isEqualTo(d);
            assertThat(x.state()).isEqualTo("resolved");
            assertThat(x.dependencyKind()).isEqualTo("success_only");
            assertThat(x.appliedAt()).isNotNull();
            assertThat(x.resolvedAt()).isNotNull();
        });
        assertThat(into).extracting(EdgeSnapshot::upstreamId).containsExactlyInAnyOrder(u1, u2, u3);
        assertThat(into).filteredOn(x -> x.upstreamId().equals(failed)).extracting(EdgeSnapshot::resolution)
                .containsExactly("failed");
        assertThat(into).filteredOn(x -> !x.upstreamId().equals(failed)).extracting(EdgeSnapshot::resolution)
                .containsExactly("success", "success");

        List<EdgeSnapshot> out = await(engine.flows().listEdges(flow, u1, true).collectList());
        assertThat(out).hasSize(1);
        assertThat(out.get(0).upstreamId()).isEqualTo(u1);
        assertThat(out.get(0).downstreamId()).isEqualTo(d);
        assertThat(await(engine.flows().listEdges(flow, u1, false).collectList())).isEmpty();

        assertThat(await(engine.flows().readEdgeGroup(flow, lone))).isEmpty();
        assertThat(await(engine.flows().describeFlow(FlowId.random()))).isEmpty();
        assertThat(state(engine, d)).isEqualTo(PublicState.WAITING);
    }
}
