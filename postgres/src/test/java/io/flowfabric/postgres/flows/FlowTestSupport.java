package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;

/**
 * Shared helpers of the flow integration tests: unique lanes, blocking shortcuts for engine calls used as setup, and
 * plain-SQL views of the flow tables (never through the engine), so that assertions check what is stored.
 */
final class FlowTestSupport {

    /** Upper bound for any single blocking call. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Upper bound for asynchronous dispatch, which normally takes milliseconds. */
    static final Duration DISPATCH_TIMEOUT = Duration.ofSeconds(15);

    private FlowTestSupport() {
    }

    /** Awaitility with the dispatch timeout and a short poll interval. */
    static ConditionFactory eventually() {
        return Awaitility.await().atMost(DISPATCH_TIMEOUT).pollInterval(Duration.ofMillis(20))
                .pollDelay(Duration.ZERO);
    }

    static FlowId flow(FlowFabric engine, String kind) {
        return await(engine.flows().createFlow(CreateFlow.of("default", kind))).flowId();
    }

    /** A member of {@code flow} in {@code lane}, depending on {@code upstreams} (all_of unless a policy is given). */
    static ExecutionId member(FlowFabric engine, FlowId flow, String lane, @Nullable EdgeGroupPolicy policy,
                              ExecutionId... upstreams) {
        CreateExecution.Builder b = CreateExecution.builder(lane).flowId(flow).dependsOnPolicy(policy);
        for (ExecutionId u : upstreams) {
            b.dependsOn(u);
        }
        return create(engine, b.build());
    }

    static ExecutionId member(FlowFabric engine, FlowId flow, String lane, ExecutionId... upstreams) {
        return member(engine, flow, lane, null, upstreams);
    }

    static PublicState state(FlowFabric engine, ExecutionId id) {
        return await(engine.executions().readExecutionState(id)).orElseThrow();
    }

    /** Claims from {@code lane}; {@code null} when nothing is claimable. */
    static @Nullable ClaimedExecution tryClaim(FlowFabric engine, String lane) {
        return await(engine.workers().claim(ClaimRequest.builder("w", "w-" + lane).lane(lane).build()));
    }

    /** Claims exactly {@code expected} from its own lane. */
    static ClaimedExecution claim(FlowFabric engine, String lane, ExecutionId expected) {
        ClaimedExecution claimed = tryClaim(engine, lane);
        assertThat(claimed).as("a claim on lane %s", lane).isNotNull();
        assertThat(claimed.executionId()).isEqualTo(expected);
        return claimed;
    }

    /** Waits until {@code expected} becomes claimable in {@code lane}, then claims it. */
    static ClaimedExecution awaitClaim(FlowFabric engine, String lane, ExecutionId expected) {
        ClaimedExecution[] holder = new ClaimedExecution[1];
        eventually().until(() -> (holder[0] = tryClaim(engine, lane)) != null);
        assertThat(holder[0].executionId()).isEqualTo(expected);
        return holder[0];
    }

    static void complete(FlowFabric engine, ClaimedExecution claimed) {
        assertThat(await(engine.workers().complete(claimed.fence(), null, null)).publicState())
                .isEqualTo(PublicState.COMPLETED);
    }

    static void complete(FlowFabric engine, ClaimedExecution claimed, String result, String encoding) {
        assertThat(await(engine.workers().complete(claimed.fence(), result.getBytes(StandardCharsets.UTF_8),
                encoding)).publicState()).isEqualTo(PublicState.COMPLETED);
    }

    static void failPermanently(FlowFabric engine, ClaimedExecution claimed) {
        await(engine.workers().fail(claimed.fence(), FailureReason.of("boom"), FailureClass.PERMANENT));
    }

    static EdgeGroupSnapshot group(FlowFabric engine, FlowId flow, ExecutionId downstream) {
        return await(engine.flows().readEdgeGroup(flow, downstream)).orElseThrow();
    }

    // ------------------------------------------------------------------------------------------ plain SQL

    /** {@code public_state} of an execution through plain SQL. */
    static String storedState(TestDatabase db, ExecutionId id) {
        return (String) db.queryValue("SELECT public_state FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid()).orElseThrow();
    }

    static Map<String, Object> execRow(TestDatabase db, ExecutionId id, String columns) {
        List<Map<String, Object>> rows = db.queryRows("SELECT " + columns
                + " FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?", id.partition(),
                id.uuid());
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    static long completionEvents(TestDatabase db, ExecutionId id) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid());
    }

    static long completionEvents(TestDatabase db, ExecutionId id, String outcome) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ? AND outcome = ?", id.partition(), id.uuid(), outcome);
    }

    static long leaseEvents(TestDatabase db, ExecutionId id, String type) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event"
                + " WHERE partition_key = ? AND execution_id = ? AND event_type = ?", id.partition(), id.uuid(), type);
    }

    /** The flow's completion events not yet marked dispatched. */
    static long undispatched(TestDatabase db, FlowId flow) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND flow_id = ? AND dispatched_at_ms IS NULL", flow.partition(),
                flow.uuid());
    }

    /** The stored group row of one downstream, by column name. */
    static Map<String, Object> groupRow(TestDatabase db, FlowId flow, ExecutionId downstream) {
        List<Map<String, Object>> rows = db.queryRows("SELECT * FROM flowfabric.ff_edge_group"
                + " WHERE partition_key = ? AND flow_id = ? AND downstream_id = ?", flow.partition(), flow.uuid(),
                downstream.uuid());
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    /** The whole group row as PostgreSQL's row text, for "nothing changed" comparisons. */
    static String groupText(TestDatabase db, FlowId flow, ExecutionId downstream) {
        return (String) db.queryValue("SELECT t::text FROM flowfabric.ff_edge_group t"
                + " WHERE partition_key = ? AND flow_id = ? AND downstream_id = ?", flow.partition(), flow.uuid(),
                downstream.uuid()).orElseThrow();
    }

    /** The edges into one downstream as PostgreSQL's row text, ordered by edge id. */
    static String edgesIntoText(TestDatabase db, FlowId flow, ExecutionId downstream) {
        return (String) db.queryValue("SELECT string_agg(t::text, '|' ORDER BY t.edge_id) FROM flowfabric.ff_edge t"
                + " WHERE partition_key = ? AND flow_id = ? AND downstream_id = ?", flow.partition(), flow.uuid(),
                downstream.uuid()).orElseThrow();
    }

    /** Counters of one group as [staged, success, failed, skipped]. */
    static List<Integer> counts(TestDatabase db, FlowId flow, ExecutionId downstream) {
        Map<String, Object> g = groupRow(db, flow, downstream);
        return List.of((Integer) g.get("staged_count"), (Integer) g.get("success_count"),
                (Integer) g.get("failed_count"), (Integer) g.get("skipped_count"));
    }

    static String groupState(TestDatabase db, FlowId flow, ExecutionId downstream) {
        return (String) groupRow(db, flow, downstream).get("group_state");
    }

    static long graphRevision(TestDatabase db, FlowId flow) {
        return db.queryLong("SELECT graph_revision FROM flowfabric.ff_flow_core WHERE partition_key = ?"
                + " AND flow_id = ?", flow.partition(), flow.uuid());
    }

    static long siblingRows(TestDatabase db, FlowId flow) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_sibling_cancel WHERE partition_key = ?"
                + " AND flow_id = ?", flow.partition(), flow.uuid());
    }
}
