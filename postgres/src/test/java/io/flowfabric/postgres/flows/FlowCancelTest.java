package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.completionEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.execRow;
import static io.flowfabric.postgres.flows.FlowTestSupport.graphRevision;
import static io.flowfabric.postgres.flows.FlowTestSupport.group;
import static io.flowfabric.postgres.flows.FlowTestSupport.leaseEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.storedState;
import static io.flowfabric.postgres.flows.FlowTestSupport.tryClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.undispatched;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.flows.FlowSnapshot;
import io.flowfabric.core.flows.StageEdge;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.reconcile.TickReport;
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
 * Flow cancel (spec 03 §10), the cancel-backlog job that finishes a drain whose node died, and the sibling-cancel
 * reconciler (§9, RC-07).
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowCancelTest {

    /** Ticks of the jobs under test take milliseconds; a hang is a failure, not a reason to wait long. */
    private static final Duration TICK_TIMEOUT = Duration.ofSeconds(10);

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

    private CancelFlow.Result cancel(FlowId flow, CancelFlow.Policy policy, Duration waitFor) {
        return await(engine.flows().cancelFlow(new CancelFlow(flow, policy, "stop it", waitFor, "alice")));
    }

    private long backlogRows(FlowId flow) {
        return db.queryLong("SELECT (SELECT count(*) FROM flowfabric.ff_cancel_backlog WHERE partition_key = ?"
                + " AND flow_id = ?) + (SELECT count(*) FROM flowfabric.ff_cancel_backlog_member"
                + " WHERE partition_key = ? AND flow_id = ?)", flow.partition(), flow.uuid(), flow.partition(),
                flow.uuid());
    }

    private static List<String> ids(ExecutionId... ids) {
        return java.util.Arrays.stream(ids).map(ExecutionId::toString).toList();
    }

    private void assertCancelledByFlow(ExecutionId id) {
        assertThat(storedState(db, id)).isEqualTo("cancelled");
        assertThat(completionEvents(db, id)).as("completion events of %s", id).isEqualTo(1);
        assertThat(completionEvents(db, id, "cancelled")).isEqualTo(1);
        assertThat(execRow(db, id, "cancelled_by, cancellation_reason")).containsEntry("cancelled_by", "flow_cascade")
                .containsEntry("cancellation_reason", "flow_cancelled");
    }

    private static void assertFenced(PostgresEngine engine, ClaimedExecution claimed) {
        StateException fenced = catchThrowableOfType(
                () -> await(engine.workers().complete(claimed.fence(), null, null)), StateException.class);
        assertThat(fenced).as("the cancelled member's worker is fenced").isNotNull();
        assertThat(fenced.kind()).isIn(StateException.Kind.EXECUTION_NOT_ACTIVE, StateException.Kind.LEASE_REVOKED);
    }

    @Test
    @DisplayName("FC-02/FC-06 cancel_all with waitFor(5 s): a running, a waiting and a blocked member are cancelled on return (status completed); a completed member keeps its single event")
    void cancelAllAndWait() {
        FlowId flow = FlowTestSupport.flow(engine, "fc02");
        String lr = lane("fr");
        String lw = lane("fw");
        String lb = lane("fb");
        String lc = lane("fc");
        ExecutionId r = member(engine, flow, lr);
        ExecutionId w = member(engine, flow, lw);
        ExecutionId b = member(engine, flow, lb, r);
        ExecutionId c = member(engine, flow, lc);
        complete(engine, claim(engine, lc, c));
        ClaimedExecution running = claim(engine, lr, r);
        assertThat(storedState(db, b)).isEqualTo("waiting_children");

        CancelFlow.Result result = cancel(flow, CancelFlow.Policy.CANCEL_ALL, Duration.ofSeconds(5));

        assertThat(result).isInstanceOf(CancelFlow.Result.Accepted.class);
        CancelFlow.Result.Accepted accepted = (CancelFlow.Result.Accepted) result;
        assertThat(accepted.policy()).isEqualTo(CancelFlow.Policy.CANCEL_ALL);
        assertThat(accepted.status()).isEqualTo("completed");
        assertThat(accepted.memberIds()).containsExactlyInAnyOrderElementsOf(ids(r, w, b));
        // Every selected member is terminal on return.
        assertCancelledByFlow(r);
        assertCancelledByFlow(w);
        assertCancelledByFlow(b);
        assertThat(leaseEvents(db, r, "revoked")).isEqualTo(1);
        assertFenced(engine, running);
        assertThat(storedState(db, c)).isEqualTo("completed");
        assertThat(completionEvents(db, c)).isEqualTo(1);
        assertThat(backlogRows(flow)).isZero();

        FlowSnapshot snapshot = await(engine.flows().describeFlow(flow)).orElseThrow();
        assertThat(snapshot.state()).isEqualTo("cancelled");
        assertThat(snapshot.cancellationPolicy()).isEqualTo("cancel_all");
        assertThat(snapshot.cancelReason()).isEqualTo("stop it");
        assertThat(snapshot.cancelledBy()).isEqualTo("alice");
        assertThat(snapshot.terminalAt()).isNotNull();
        assertThat(db.queryValue("SELECT details->>'memberCount' FROM flowfabric.ff_operator_event"
                + " WHERE subject_kind = 'flow' AND subject_id = ? AND event_type = 'flow_cancel_requested'",
                flow.toString())).contains("3");

        // The members' own events are dispatched; B's group only records the count.
        eventually().until(() -> undispatched(db, flow) == 0);
        assertThat(completionEvents(db, b)).isEqualTo(1);
    }

    @Test
    @DisplayName("FC-01 cancel_all NO_WAIT: requested with the ids; the waiting member can no longer be claimed; the drain cancels both and empties the backlog")
    void cancelAllNoWait() {
        FlowId flow = FlowTestSupport.flow(engine, "fc01");
        String lr = lane("nr");
        String lw = lane("nw");
        ExecutionId r = member(engine, flow, lr);
        ExecutionId w = member(engine, flow, lw);
        ClaimedExecution running = claim(engine, lr, r);

        CancelFlow.Result result = cancel(flow, CancelFlow.Policy.CANCEL_ALL, null);

        assertThat(result).isInstanceOf(CancelFlow.Result.Accepted.class);
        assertThat(((CancelFlow.Result.Accepted) result).status()).isEqualTo("requested");
        assertThat(((CancelFlow.Result.Accepted) result).memberIds()).containsExactlyInAnyOrderElementsOf(ids(r, w));
        assertThat(tryClaim(engine, lw)).as("no claim takes a member of a cancelled flow").isNull();
        // Blocked by the request transaction itself (or already cancelled by the drain).
        assertThat(execRow(db, w, "eligibility_state").get("eligibility_state"))
                .isIn("blocked_by_operator", "not_applicable");

        eventually().until(() -> storedState(db, r).equals("cancelled") && storedState(db, w).equals("cancelled"));
        eventually().until(() -> backlogRows(flow) == 0);
        assertCancelledByFlow(r);
        assertCancelledByFlow(w);
        assertThat(leaseEvents(db, r, "revoked")).isEqualTo(1);
        assertFenced(engine, running);
    }

    @Test
    @DisplayName("FC-03 cancel_pending: the waiting and the blocked member are cancelled; the running one continues and completes normally")
    void cancelPending() {
        FlowId flow = FlowTestSupport.flow(engine, "fc03");
        String lr = lane("pr");
        String lp = lane("pp");
        ExecutionId r = member(engine, flow, lr);
        ExecutionId p1 = member(engine, flow, lp);
        ExecutionId p2 = member(engine, flow, lp, r);
        ClaimedExecution running = claim(engine, lr, r);

        CancelFlow.Result result = cancel(flow, CancelFlow.Policy.CANCEL_PENDING, Duration.ofSeconds(5));

        assertThat(result).isEqualTo(new CancelFlow.Result.Accepted(CancelFlow.Policy.CANCEL_PENDING,
                ((CancelFlow.Result.Accepted) result).memberIds(), "completed"));
        assertThat(((CancelFlow.Result.Accepted) result).memberIds()).containsExactlyInAnyOrderElementsOf(ids(p1, p2));
        assertCancelledByFlow(p1);
        assertCancelledByFlow(p2);
        assertThat(storedState(db, r)).isEqualTo("active");

        complete(engine, running);
        assertThat(storedState(db, r)).isEqualTo("completed");
        assertThat(completionEvents(db, r, "success")).isEqualTo(1);
        eventually().until(() -> undispatched(db, flow) == 0);
        assertThat(completionEvents(db, p2)).isEqualTo(1);
        assertThat(storedState(db, p2)).isEqualTo("cancelled");
    }

    @Test
    @DisplayName("FC-04/FC-05 flow_only changes no member; adding a member, creating one or staging an edge is then FLOW_TERMINAL; cancelling again is AlreadyTerminal; an unknown flow is NotFound(FLOW)")
    void flowOnlyAndRepeats() {
        FlowId flow = FlowTestSupport.flow(engine, "fc04");
        String lw = lane("ow");
        ExecutionId w = member(engine, flow, lw);
        ExecutionId v = member(engine, flow, lw);
        String before = (String) db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", w.partition(), w.uuid()).orElseThrow();

        CancelFlow.Result result = cancel(flow, CancelFlow.Policy.FLOW_ONLY, null);

        assertThat(result).isInstanceOf(CancelFlow.Result.Accepted.class);
        assertThat(((CancelFlow.Result.Accepted) result).memberIds()).isEmpty();
        assertThat(((CancelFlow.Result.Accepted) result).policy()).isEqualTo(CancelFlow.Policy.FLOW_ONLY);
        assertThat(db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", w.partition(), w.uuid())).contains(before);
        assertThat(await(engine.executions().readExecutionState(w))).contains(PublicState.WAITING);
        assertThat(backlogRows(flow)).isZero();
        long revision = graphRevision(db, flow);

        ExecutionId outsider = EngineFixture.create(engine, CreateExecution.builder(lw)
                .executionId(ExecutionId.forFlow(flow)).build());
        StateException add = catchThrowableOfType(
                () -> await(engine.flows().addExecutionToFlow(flow, outsider)), StateException.class);
        assertThat(add.kind()).isEqualTo(StateException.Kind.FLOW_TERMINAL);
        StateException create = catchThrowableOfType(() -> await(engine.executions().createExecution(
                CreateExecution.builder(lw).flowId(flow).build())), StateException.class);
        assertThat(create.kind()).isEqualTo(StateException.Kind.FLOW_TERMINAL);
        StateException stage = catchThrowableOfType(() -> await(engine.flows().stageDependencyEdge(
                StageEdge.of(flow, w, v, revision))), StateException.class);
        assertThat(stage.kind()).isEqualTo(StateException.Kind.FLOW_TERMINAL);
        assertThat(graphRevision(db, flow)).isEqualTo(revision);

        assertThat(cancel(flow, CancelFlow.Policy.CANCEL_ALL, null)).isEqualTo(
                new CancelFlow.Result.AlreadyTerminal(CancelFlow.Policy.FLOW_ONLY, "stop it", List.of()));
        assertThat(storedState(db, w)).isEqualTo("waiting");

        NotFoundException unknown = catchThrowableOfType(
                () -> cancel(FlowId.random(), CancelFlow.Policy.CANCEL_ALL, null), NotFoundException.class);
        assertThat(unknown.entity()).isEqualTo(NotFoundException.Entity.FLOW);
    }

    @Test
    @DisplayName("FC-05 cancelling a cancel_all flow again is AlreadyTerminal with the stored policy and reason and no remaining members")
    void cancelTwice() {
        FlowId flow = FlowTestSupport.flow(engine, "fc05");
        ExecutionId w = member(engine, flow, lane("tw"));
        cancel(flow, CancelFlow.Policy.CANCEL_ALL, Duration.ofSeconds(5));
        assertThat(storedState(db, w)).isEqualTo("cancelled");

        CancelFlow.Result again = await(engine.flows().cancelFlow(new CancelFlow(flow, CancelFlow.Policy.FLOW_ONLY,
                "other", null, "bob")));

        assertThat(again).isEqualTo(new CancelFlow.Result.AlreadyTerminal(CancelFlow.Policy.CANCEL_ALL, "stop it",
                List.of()));
        assertThat(completionEvents(db, w)).isEqualTo(1);
        assertThat(await(engine.flows().describeFlow(flow)).orElseThrow().cancelledBy()).isEqualTo("alice");
    }

    @Test
    @DisplayName("FC-07 cancel_backlog job: a backlog whose drain died (grace passed) is finished: members cancelled once, rows and header deleted; a backlog still in grace is left alone")
    void cancelBacklogJobFinishesDeadDrain() {
        FlowId flow = FlowTestSupport.flow(engine, "fc07");
        String lr = lane("br");
        String lw = lane("bw");
        ExecutionId done = member(engine, flow, lw);
        ExecutionId w = member(engine, flow, lw);
        ExecutionId r = member(engine, flow, lr);
        ClaimedExecution running = claim(engine, lr, r);
        // The dead node had cancelled one member before dying (its backlog row is left behind here on purpose).
        await(engine.operator().cancelExecution(done, "drained before the crash", null));
        FlowId inGrace = FlowTestSupport.flow(engine, "fc07-grace");
        ExecutionId later = member(engine, inGrace, lane("gw"));

        // What the request transaction had committed: the flow cancelled, the header, one row per member.
        for (FlowId f : List.of(flow, inGrace)) {
            db.execute("UPDATE flowfabric.ff_flow_core SET public_flow_state = 'cancelled',"
                    + " terminal_at_ms = flowfabric.now_ms(), cancellation_policy = 'cancel_all',"
                    + " cancel_reason = 'stop it' WHERE partition_key = ? AND flow_id = ?", f.partition(), f.uuid());
        }
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog (partition_key, flow_id, policy, reason, requested_by,"
                + " requested_at_ms, grace_until_ms, member_total) VALUES (?, ?, 'cancel_all', 'stop it', 'alice',"
                + " flowfabric.now_ms() - 60000, flowfabric.now_ms() - 1000, 3)", flow.partition(), flow.uuid());
        for (ExecutionId m : List.of(done, w, r)) {
            db.execute("INSERT INTO flowfabric.ff_cancel_backlog_member (partition_key, flow_id, execution_id)"
                    + " VALUES (?, ?, ?)", flow.partition(), flow.uuid(), m.uuid());
        }
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog (partition_key, flow_id, policy, reason, requested_by,"
                + " requested_at_ms, grace_until_ms, member_total) VALUES (?, ?, 'cancel_all', 'stop it', 'alice',"
                + " flowfabric.now_ms(), flowfabric.now_ms() + 30000, 1)", inGrace.partition(), inGrace.uuid());
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog_member (partition_key, flow_id, execution_id)"
                + " VALUES (?, ?, ?)", inGrace.partition(), inGrace.uuid(), later.uuid());

        TickReport report = engine.reconcilers().tick("cancel_backlog").block(TICK_TIMEOUT);

        assertThat(report.scanned()).isEqualTo(1);
        assertThat(report.errors()).isZero();
        assertCancelledByFlow(w);
        assertCancelledByFlow(r);
        assertThat(leaseEvents(db, r, "revoked")).isEqualTo(1);
        assertFenced(engine, running);
        assertThat(completionEvents(db, done)).isEqualTo(1);
        assertThat(execRow(db, done, "cancelled_by")).containsEntry("cancelled_by", "operator");
        assertThat(backlogRows(flow)).isZero();
        // The backlog still in its grace belongs to a live drain.
        assertThat(backlogRows(inGrace)).isEqualTo(2);
        assertThat(storedState(db, later)).isEqualTo("waiting");
        // The remaining backlog reports its member on a repeated cancel.
        assertThat(cancel(inGrace, CancelFlow.Policy.CANCEL_ALL, null)).isEqualTo(new CancelFlow.Result.AlreadyTerminal(
                CancelFlow.Policy.CANCEL_ALL, "stop it", List.of(later.toString())));
    }

    @Test
    @DisplayName("RC-07 sibling_cancel_reconciler: a flag without queue rows is cleared, a row whose target is terminal is deleted, a row whose target is active is left for the dispatcher (whose tick then cancels it)")
    void siblingCancelReconciler() {
        FlowId flow = FlowTestSupport.flow(engine, "rc07");
        String lu = lane("su");
        String la = lane("sa");
        String lx = lane("sx");
        String ld = lane("sd");
        ExecutionId u = member(engine, flow, lu);
        ExecutionId d = member(engine, flow, ld, u);
        ExecutionId a = member(engine, flow, la);
        ExecutionId x = member(engine, flow, lx);
        ExecutionId d3 = member(engine, flow, ld, EdgeGroupPolicy.anyOf(OnSatisfied.CANCEL_REMAINING), a, x);
        ClaimedExecution activeA = claim(engine, la, a);
        await(engine.operator().cancelExecution(x, null, null));
        eventually().until(() -> undispatched(db, flow) == 0);
        assertThat(group(engine, flow, d3).failed()).isEqualTo(1);

        db.execute("UPDATE flowfabric.ff_edge_group SET cancel_siblings_pending = true WHERE partition_key = ?"
                + " AND flow_id = ? AND downstream_id = ANY(ARRAY[?, ?]::uuid[])", flow.partition(), flow.uuid(),
                d.uuid(), d3.uuid());
        for (ExecutionId target : List.of(x, a)) {
            db.execute("INSERT INTO flowfabric.ff_sibling_cancel (partition_key, flow_id, downstream_id, target_id,"
                    + " reason, enqueued_at_ms) VALUES (?, ?, ?, ?, 'sibling_quorum_satisfied', flowfabric.now_ms())",
                    flow.partition(), flow.uuid(), d3.uuid(), target.uuid());
        }

        engine.reconcilers().tick("sibling_cancel_reconciler").block(TICK_TIMEOUT);

        assertThat(group(engine, flow, d).cancelSiblingsPending()).isFalse();
        assertThat(db.queryRows("SELECT target_id FROM flowfabric.ff_sibling_cancel WHERE partition_key = ?"
                + " AND flow_id = ?", flow.partition(), flow.uuid())).extracting(m -> m.get("target_id"))
                .containsExactly(a.uuid());
        assertThat(group(engine, flow, d3).cancelSiblingsPending()).isTrue();
        assertThat(storedState(db, a)).isEqualTo("active");
        assertThat(completionEvents(db, x)).isEqualTo(1);

        engine.reconcilers().tick("sibling_cancel_dispatcher").block(TICK_TIMEOUT);

        assertThat(storedState(db, a)).isEqualTo("cancelled");
        assertThat(execRow(db, a, "cancelled_by, cancellation_reason")).containsEntry("cancelled_by", "sibling_cancel")
                .containsEntry("cancellation_reason", "sibling_quorum_satisfied");
        assertThat(leaseEvents(db, a, "revoked")).isEqualTo(1);
        assertFenced(engine, activeA);
        assertThat(FlowTestSupport.siblingRows(db, flow)).isZero();
        assertThat(group(engine, flow, d3).cancelSiblingsPending()).isFalse();
    }
}
