package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.failPermanently;
import static io.flowfabric.postgres.flows.FlowTestSupport.graphRevision;
import static io.flowfabric.postgres.flows.FlowTestSupport.groupState;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.flows.FlowEligibility;
import io.flowfabric.core.flows.FlowQuery;
import io.flowfabric.core.flows.FlowResults;
import io.flowfabric.core.flows.FlowSummary;
import io.flowfabric.core.flows.StageEdge;
import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The flow reads of spec 03 §1 and §12: {@code listFlows} keyset paging with its limit and cursor validation and the
 * derived state, {@code describeEdge}, and every answer of {@code evaluateFlowEligibility}. The engine runs without
 * background reconcilers, so no summary projection happens here.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowReadsTest {

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

    private Page<FlowSummary> list(FlowQuery query, String cursor, int limit) {
        return await(engine.flows().listFlows(query, cursor, limit));
    }

    private FlowId flowIn(String namespace) {
        FlowResults.FlowCreated created = await(engine.flows().createFlow(CreateFlow.of(namespace, "reads")));
        return created.flowId();
    }

    @Test
    @DisplayName("listFlows by namespace with limit 2 over 5 flows: pages of 2, 2, 1 ordered by creation time, each flow once, no cursor on the last page")
    void listByNamespacePages() {
        String namespace = "lf-" + UUID.randomUUID().toString().substring(0, 8);
        List<FlowId> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(flowIn(namespace));
        }

        List<Integer> sizes = new ArrayList<>();
        List<FlowSummary> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<FlowSummary> page = list(FlowQuery.byNamespace(namespace), cursor, 2);
            sizes.add(page.items().size());
            seen.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);

        assertThat(sizes).containsExactly(2, 2, 1);
        assertThat(seen).extracting(FlowSummary::flowId).containsExactlyInAnyOrderElementsOf(created);
        assertThat(seen).extracting(FlowSummary::createdAt).isSorted();
        assertThat(seen).allSatisfy(f -> {
            assertThat(f.namespace()).isEqualTo(namespace);
            assertThat(f.state()).isEqualTo("open");
            assertThat(f.derivedState()).isEqualTo("open");
        });
    }

    @Test
    @DisplayName("listFlows by partition: every flow of the partition once across pages of 1, in flow id order")
    void listByPartitionPages() {
        FlowId first = FlowId.random();
        await(engine.flows().createFlow(new CreateFlow(first, "default", "reads", Map.of())));
        int partition = first.partition();
        Set<FlowId> mine = new HashSet<>(List.of(first));
        for (int i = 0; i < 200 && mine.size() < 3; i++) {
            FlowId candidate = FlowId.random();
            if (candidate.partition() == partition) {
                await(engine.flows().createFlow(new CreateFlow(candidate, "default", "reads", Map.of())));
                mine.add(candidate);
            }
        }

        List<FlowSummary> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<FlowSummary> page = list(FlowQuery.byPartition(partition), cursor, 1);
            assertThat(page.items()).hasSizeLessThanOrEqualTo(1);
            seen.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);

        assertThat(seen).extracting(FlowSummary::flowId).doesNotHaveDuplicates().containsAll(mine);
        assertThat(seen).allSatisfy(f -> assertThat(f.flowId().partition()).isEqualTo(partition));
        List<String> storedOrder = db.queryRows("SELECT flow_id::text AS id FROM flowfabric.ff_flow_core"
                + " WHERE partition_key = ? ORDER BY flow_id", partition).stream()
                .map(r -> (String) r.get("id")).collect(Collectors.toList());
        assertThat(seen).extracting(f -> f.flowId().uuid().toString()).containsExactlyElementsOf(storedOrder);
    }

    @Test
    @DisplayName("listFlows derives the state of flows the projector has not seen: running with an active member, cancelled when cancelled")
    void listDerivedStates() {
        String namespace = "lfd-" + UUID.randomUUID().toString().substring(0, 8);
        FlowId running = flowIn(namespace);
        String laneR = lane("lfd");
        ExecutionId r = EngineFixture.create(engine, CreateExecution.builder(laneR).namespace(namespace)
                .flowId(running).build());
        claim(engine, laneR, r);
        FlowId cancelled = flowIn(namespace);
        await(engine.flows().cancelFlow(new CancelFlow(cancelled, CancelFlow.Policy.FLOW_ONLY, null, null, null)));

        Map<FlowId, FlowSummary> byId = list(FlowQuery.byNamespace(namespace), null, 10).items().stream()
                .collect(Collectors.toMap(FlowSummary::flowId, f -> f));

        assertThat(byId.get(running).state()).isEqualTo("open");
        assertThat(byId.get(running).derivedState()).isEqualTo("running");
        assertThat(byId.get(cancelled).state()).isEqualTo("cancelled");
        assertThat(byId.get(cancelled).derivedState()).isEqualTo("cancelled");
    }

    @Test
    @DisplayName("listFlows validation: limit above 1000 is LIMIT_EXCEEDED, negative INVALID_INPUT, 0 an empty page; a foreign or garbled cursor INVALID_CURSOR; a query needs exactly one of partition (0..255) or namespace")
    void listValidation() {
        FlowQuery ns = FlowQuery.byNamespace("default");
        assertThat(catchThrowableOfType(() -> list(ns, null, 1001), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(catchThrowableOfType(() -> list(ns, null, -1), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_INPUT);
        Page<FlowSummary> empty = list(ns, null, 0);
        assertThat(empty.items()).isEmpty();
        assertThat(empty.nextCursor()).isEmpty();
        assertThat(catchThrowableOfType(() -> list(ns, "not a cursor!", 10), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_CURSOR);

        flowIn("default");
        flowIn("default");
        String namespaceCursor = list(ns, null, 1).nextCursor().orElseThrow();
        assertThat(catchThrowableOfType(() -> list(FlowQuery.byPartition(0), namespaceCursor, 10),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR);

        assertThat(catchThrowableOfType(() -> list(new FlowQuery(1, "default"), null, 10),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> list(new FlowQuery(null, null), null, 10),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> list(null, null, 10), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_INPUT);
        assertThat(catchThrowableOfType(() -> list(FlowQuery.byPartition(256), null, 10),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT);
    }

    @Test
    @DisplayName("describeEdge returns the edge with its endpoints, state and resolution; an unknown edge or another flow's id is empty")
    void describeEdge() {
        FlowId flow = FlowTestSupport.flow(engine, "describe-edge");
        String laneA = lane("dea");
        ExecutionId a = member(engine, flow, laneA);
        ExecutionId b = member(engine, flow, lane("deb"), a);
        EdgeId edgeId = await(engine.flows().listEdges(flow, b, false).next()).edgeId();

        EdgeSnapshot edge = await(engine.flows().describeEdge(flow, edgeId)).orElseThrow();
        assertThat(edge.edgeId()).isEqualTo(edgeId);
        assertThat(edge.upstreamId()).isEqualTo(a);
        assertThat(edge.downstreamId()).isEqualTo(b);
        assertThat(edge.dependencyKind()).isEqualTo("success_only");
        assertThat(edge.state()).isEqualTo("applied");
        assertThat(edge.resolution()).isNull();
        assertThat(edge.appliedAt()).isNotNull();

        complete(engine, claim(engine, laneA, a));
        eventually().until(() -> "resolved".equals(
                await(engine.flows().describeEdge(flow, edgeId)).orElseThrow().state()));
        EdgeSnapshot resolved = await(engine.flows().describeEdge(flow, edgeId)).orElseThrow();
        assertThat(resolved.resolution()).isEqualTo("success");
        assertThat(resolved.resolvedAt()).isNotNull();

        assertThat(await(engine.flows().describeEdge(flow, EdgeId.random()))).isEmpty();
        FlowId other = FlowTestSupport.flow(engine, "describe-edge-other");
        assertThat(await(engine.flows().describeEdge(other, edgeId))).isEmpty();
        assertThat(catchThrowableOfType(() -> await(engine.flows().describeEdge(flow, null)),
                ValidationException.class)).isNotNull();
    }

    @Test
    @DisplayName("evaluateFlowEligibility: not_found, eligible (no group, satisfied group), blocked_by_dependencies (pending group), owned (active), terminal, impossible (a started downstream whose group became impossible)")
    void flowEligibility() {
        assertThat(await(engine.flows().evaluateFlowEligibility(ExecutionId.standalone())))
                .isEqualTo(FlowEligibility.NOT_FOUND);

        FlowId flow = FlowTestSupport.flow(engine, "eligibility");
        String laneA = lane("ela");
        String laneB = lane("elb");
        ExecutionId a = member(engine, flow, laneA);
        ExecutionId b = member(engine, flow, laneB, a);
        assertThat(await(engine.flows().evaluateFlowEligibility(a))).isEqualTo(FlowEligibility.ELIGIBLE);
        assertThat(await(engine.flows().evaluateFlowEligibility(b)))
                .isEqualTo(FlowEligibility.BLOCKED_BY_DEPENDENCIES);

        ClaimedExecution claimedA = claim(engine, laneA, a);
        assertThat(await(engine.flows().evaluateFlowEligibility(a))).isEqualTo(FlowEligibility.OWNED);
        complete(engine, claimedA);
        assertThat(await(engine.flows().evaluateFlowEligibility(a))).isEqualTo(FlowEligibility.TERMINAL);
        eventually().until(() -> "satisfied".equals(groupState(db, flow, b)));
        assertThat(await(engine.flows().evaluateFlowEligibility(b))).isEqualTo(FlowEligibility.ELIGIBLE);

        // D starts, delays itself, then gets an edge from U that fails: a started downstream is left alone, so its
        // group is impossible while it is still runnable.
        String laneU = lane("elu");
        String laneD = lane("eld");
        ExecutionId u = member(engine, flow, laneU);
        ExecutionId d = member(engine, flow, laneD);
        await(engine.workers().delay(claim(engine, laneD, d).fence(), Duration.ofHours(1)));
        EdgeId edge = await(engine.flows().stageDependencyEdge(StageEdge.of(flow, u, d, graphRevision(db, flow))))
                .edgeId();
        await(engine.flows().applyDependency(flow, edge));
        assertThat(await(engine.flows().evaluateFlowEligibility(d)))
                .isEqualTo(FlowEligibility.BLOCKED_BY_DEPENDENCIES);
        failPermanently(engine, claim(engine, laneU, u));
        eventually().until(() -> "impossible".equals(groupState(db, flow, d)));

        assertThat(await(engine.flows().evaluateFlowEligibility(d))).isEqualTo(FlowEligibility.IMPOSSIBLE);
        assertThat(FlowTestSupport.storedState(db, d)).isEqualTo("delayed");
    }
}
