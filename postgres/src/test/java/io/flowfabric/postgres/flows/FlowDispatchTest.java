package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.TIMEOUT;
import static io.flowfabric.postgres.flows.FlowTestSupport.awaitClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.completionEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.counts;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.execRow;
import static io.flowfabric.postgres.flows.FlowTestSupport.failPermanently;
import static io.flowfabric.postgres.flows.FlowTestSupport.group;
import static io.flowfabric.postgres.flows.FlowTestSupport.groupState;
import static io.flowfabric.postgres.flows.FlowTestSupport.leaseEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.siblingRows;
import static io.flowfabric.postgres.flows.FlowTestSupport.state;
import static io.flowfabric.postgres.flows.FlowTestSupport.storedState;
import static io.flowfabric.postgres.flows.FlowTestSupport.tryClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.undispatched;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.ExecutionInput;
import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Decisions and dispatch on one engine (spec 03 §6–§9): chains, fan-out and fan-in release their downstreams exactly
 * when the group is satisfied; failures skip transitively; any_of and quorum latch once and cancel the remaining
 * siblings under {@code cancel_remaining}; data passing copies results. Dispatch runs on the engine's immediate path
 * (local commits); no reconciler is ticked here.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowDispatchTest {

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

    private void awaitAllDispatched(FlowId flow) {
        eventually().until(() -> undispatched(db, flow) == 0);
    }

    @Test
    @DisplayName("a chain of 10 via dependsOn: each node becomes claimable exactly when its upstream completed; all end completed")
    void chainOfTen() {
        FlowId flow = FlowTestSupport.flow(engine, "chain");
        List<String> lanes = new ArrayList<>();
        List<ExecutionId> nodes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lanes.add(lane("chain" + i));
            nodes.add(i == 0 ? member(engine, flow, lanes.get(0))
                    : member(engine, flow, lanes.get(i), nodes.get(i - 1)));
        }
        for (int i = 1; i < 10; i++) {
            assertThat(storedState(db, nodes.get(i))).isEqualTo("waiting_children");
        }

        ClaimedExecution current = claim(engine, lanes.get(0), nodes.get(0));
        for (int i = 0; i < 10; i++) {
            if (i < 9) {
                assertThat(tryClaim(engine, lanes.get(i + 1))).as("node %d before its upstream completed", i + 1)
                        .isNull();
                assertThat(state(engine, nodes.get(i + 1))).isEqualTo(PublicState.WAITING_CHILDREN);
            }
            complete(engine, current);
            if (i < 9) {
                current = awaitClaim(engine, lanes.get(i + 1), nodes.get(i + 1));
            }
        }

        assertThat(nodes).allSatisfy(n -> assertThat(storedState(db, n)).isEqualTo("completed"));
        awaitAllDispatched(flow);
        for (int i = 1; i < 10; i++) {
            assertThat(counts(db, flow, nodes.get(i))).containsExactly(1, 1, 0, 0);
            assertThat(groupState(db, flow, nodes.get(i))).isEqualTo("satisfied");
        }
        assertThat(nodes).allSatisfy(n -> assertThat(completionEvents(db, n, "success")).isEqualTo(1));
    }

    @Test
    @DisplayName("fan-out 1 -> 20: no child is claimable before the root completes; concurrent workers then run all 20 to completed")
    void fanOutOfTwenty() throws Exception {
        FlowId flow = FlowTestSupport.flow(engine, "fan-out");
        String rootLane = lane("root");
        String childLane = lane("child");
        ExecutionId root = member(engine, flow, rootLane);
        Map<ExecutionId, List<ExecutionId>> upstreams = new HashMap<>();
        List<ExecutionId> children = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ExecutionId child = member(engine, flow, childLane, root);
            children.add(child);
            upstreams.put(child, List.of(root));
        }
        ClaimedExecution rootClaim = claim(engine, rootLane, root);
        assertThat(tryClaim(engine, childLane)).isNull();
        assertThat(children).allSatisfy(c -> assertThat(storedState(db, c)).isEqualTo("waiting_children"));

        complete(engine, rootClaim);
        runWorkers(3, flow, List.of(childLane), children, upstreams);

        assertThat(children).allSatisfy(c -> {
            assertThat(storedState(db, c)).isEqualTo("completed");
            assertThat(counts(db, flow, c)).containsExactly(1, 1, 0, 0);
        });
        awaitAllDispatched(flow);
    }

    @Test
    @DisplayName("DG-01 diamond A -> {B, C} -> D (all_of): D stays waiting_children until both B and C completed; no sibling-cancel rows")
    void diamond() {
        FlowId flow = FlowTestSupport.flow(engine, "diamond");
        String la = lane("da");
        String lb = lane("db");
        String lc = lane("dc");
        String ld = lane("dd");
        ExecutionId a = member(engine, flow, la);
        ExecutionId b = member(engine, flow, lb, a);
        ExecutionId c = member(engine, flow, lc, a);
        ExecutionId d = member(engine, flow, ld, b, c);

        ClaimedExecution ca = claim(engine, la, a);
        assertThat(tryClaim(engine, lb)).isNull();
        assertThat(tryClaim(engine, lc)).isNull();
        complete(engine, ca);
        ClaimedExecution cb = awaitClaim(engine, lb, b);
        ClaimedExecution cc = awaitClaim(engine, lc, c);
        assertThat(tryClaim(engine, ld)).isNull();

        complete(engine, cb);
        eventually().until(() -> group(engine, flow, d).success() == 1);
        assertThat(state(engine, d)).isEqualTo(PublicState.WAITING_CHILDREN);
        assertThat(group(engine, flow, d).decision()).isEqualTo(GroupDecision.PENDING);
        assertThat(tryClaim(engine, ld)).isNull();

        complete(engine, cc);
        complete(engine, awaitClaim(engine, ld, d));

        assertThat(List.of(a, b, c, d)).allSatisfy(x -> assertThat(storedState(db, x)).isEqualTo("completed"));
        assertThat(counts(db, flow, d)).containsExactly(2, 2, 0, 0);
        assertThat(siblingRows(db, flow)).isZero();
        awaitAllDispatched(flow);
    }

    @Test
    @DisplayName("DG-02/DG-09 all_of with a failed upstream skips three levels down, each with one completion event skipped")
    void failureSkipsTransitively() {
        FlowId flow = FlowTestSupport.flow(engine, "skip-chain");
        String la = lane("sa");
        String down = lane("sdown");
        ExecutionId a = member(engine, flow, la);
        ExecutionId b = member(engine, flow, down, a);
        ExecutionId c = member(engine, flow, down, b);
        ExecutionId d = member(engine, flow, down, c);

        failPermanently(engine, claim(engine, la, a));

        eventually().until(() -> storedState(db, d).equals("skipped"));
        awaitAllDispatched(flow);
        assertThat(storedState(db, a)).isEqualTo("failed");
        assertThat(completionEvents(db, a)).isEqualTo(1);
        assertThat(completionEvents(db, a, "failed")).isEqualTo(1);
        for (ExecutionId x : List.of(b, c, d)) {
            assertThat(storedState(db, x)).isEqualTo("skipped");
            assertThat(completionEvents(db, x)).as("completion events of %s", x).isEqualTo(1);
            assertThat(completionEvents(db, x, "skipped")).isEqualTo(1);
            assertThat(groupState(db, flow, x)).isEqualTo("impossible");
        }
        assertThat(counts(db, flow, b)).containsExactly(1, 0, 1, 0);
        assertThat(counts(db, flow, c)).containsExactly(1, 0, 0, 1);
        assertThat(counts(db, flow, d)).containsExactly(1, 0, 0, 1);
        assertThat(tryClaim(engine, down)).isNull();
        // The skipped members never ran: no attempt, no lease.
        assertThat(execRow(db, d, "attempt_count, lease_epoch")).containsEntry("attempt_count", 0)
                .containsEntry("lease_epoch", 0L);
    }

    @Test
    @DisplayName("DG-09 diamond with B failing and C succeeding: D skipped exactly once; C keeps its success")
    void diamondWithOneFailure() {
        FlowId flow = FlowTestSupport.flow(engine, "skip-diamond");
        String la = lane("fa");
        String lb = lane("fb");
        String lc = lane("fc");
        String ld = lane("fd");
        ExecutionId a = member(engine, flow, la);
        ExecutionId b = member(engine, flow, lb, a);
        ExecutionId c = member(engine, flow, lc, a);
        ExecutionId d = member(engine, flow, ld, b, c);
        complete(engine, claim(engine, la, a));
        ClaimedExecution cb = awaitClaim(engine, lb, b);
        ClaimedExecution cc = awaitClaim(engine, lc, c);

        failPermanently(engine, cb);
        eventually().until(() -> storedState(db, d).equals("skipped"));
        complete(engine, cc);
        eventually().until(() -> group(engine, flow, d).success() == 1);
        awaitAllDispatched(flow);

        assertThat(completionEvents(db, d)).isEqualTo(1);
        assertThat(completionEvents(db, d, "skipped")).isEqualTo(1);
        assertThat(counts(db, flow, d)).containsExactly(2, 1, 1, 0);
        assertThat(groupState(db, flow, d)).isEqualTo("impossible");
        assertThat(storedState(db, c)).isEqualTo("completed");
        assertThat(tryClaim(engine, ld)).isNull();
    }

    @Test
    @DisplayName("DG-03 any_of/cancel_remaining: the winner releases D; exactly the losers are cancelled (the running one revoked and fenced)")
    void anyOfCancelsRemaining() {
        FlowId flow = FlowTestSupport.flow(engine, "any-of");
        String l1 = lane("u1");
        String l2 = lane("u2");
        String l3 = lane("u3");
        String ld = lane("ud");
        ExecutionId u1 = member(engine, flow, l1);
        ExecutionId u2 = member(engine, flow, l2);
        ExecutionId u3 = member(engine, flow, l3);
        ExecutionId d = member(engine, flow, ld, EdgeGroupPolicy.anyOf(OnSatisfied.CANCEL_REMAINING), u1, u2, u3);
        ClaimedExecution winner = claim(engine, l1, u1);
        ClaimedExecution loser = claim(engine, l3, u3);
        assertThat(tryClaim(engine, ld)).isNull();

        complete(engine, winner);

        ClaimedExecution released = awaitClaim(engine, ld, d);
        eventually().until(() -> storedState(db, u2).equals("cancelled") && storedState(db, u3).equals("cancelled"));
        for (ExecutionId x : List.of(u2, u3)) {
            assertThat(completionEvents(db, x)).isEqualTo(1);
            assertThat(completionEvents(db, x, "cancelled")).isEqualTo(1);
            assertThat(execRow(db, x, "cancelled_by, cancellation_reason"))
                    .containsEntry("cancelled_by", "sibling_cancel")
                    .containsEntry("cancellation_reason", "sibling_quorum_satisfied");
        }
        assertThat(leaseEvents(db, u3, "revoked")).isEqualTo(1);
        assertThat(leaseEvents(db, u2, "revoked")).isZero();
        assertThat(execRow(db, u3, "lease_epoch, current_lease_id")).containsEntry("lease_epoch", 2L)
                .containsEntry("current_lease_id", null);

        StateException fenced = catchThrowableOfType(
                () -> await(engine.workers().complete(loser.fence(), null, null)), StateException.class);
        assertThat(fenced).as("the cancelled sibling's worker is fenced").isNotNull();
        assertThat(fenced.kind()).isIn(StateException.Kind.EXECUTION_NOT_ACTIVE, StateException.Kind.LEASE_REVOKED);
        assertThat(completionEvents(db, u3)).isEqualTo(1);

        // Exactly the losers: not the winner, not D.
        assertThat(storedState(db, u1)).isEqualTo("completed");
        assertThat(completionEvents(db, u1)).isEqualTo(1);
        assertThat(storedState(db, d)).isEqualTo("active");
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE partition_key = ? AND flow_id = ?"
                + " AND public_state = 'cancelled'", flow.partition(), flow.uuid())).isEqualTo(2);

        eventually().until(() -> !group(engine, flow, d).cancelSiblingsPending());
        awaitAllDispatched(flow);
        assertThat(siblingRows(db, flow)).isZero();
        assertThat(counts(db, flow, d)).containsExactly(3, 1, 2, 0);
        assertThat(groupState(db, flow, d)).isEqualTo("satisfied");
        complete(engine, released);
        assertThat(completionEvents(db, d)).isEqualTo(1);
    }

    @Test
    @DisplayName("DG-15 any_of/cancel_remaining: a sibling that also feeds a pending group is not cancelled; the only other sibling is")
    void siblingNeededElsewhereIsKept() {
        FlowId flow = FlowTestSupport.flow(engine, "dg15");
        String lu = lane("g1u");
        String ls = lane("g1s");
        String lt = lane("g1t");
        String lv = lane("g2v");
        String ld = lane("g1d");
        ExecutionId u = member(engine, flow, lu);
        ExecutionId s = member(engine, flow, ls);
        ExecutionId t = member(engine, flow, lt);
        ExecutionId v = member(engine, flow, lv);
        ExecutionId d1 = member(engine, flow, ld, EdgeGroupPolicy.anyOf(OnSatisfied.CANCEL_REMAINING), u, s, t);
        ExecutionId d2 = member(engine, flow, ld, s, v);

        complete(engine, claim(engine, lu, u));

        awaitClaim(engine, ld, d1);
        eventually().until(() -> storedState(db, t).equals("cancelled"));
        assertThat(execRow(db, t, "cancellation_reason"))
                .containsEntry("cancellation_reason", "sibling_quorum_satisfied");
        assertThat(completionEvents(db, t, "cancelled")).isEqualTo(1);
        eventually().until(() -> !group(engine, flow, d1).cancelSiblingsPending());
        assertThat(siblingRows(db, flow)).isZero();
        assertThat(storedState(db, s)).isEqualTo("waiting");
        assertThat(completionEvents(db, s)).isZero();
        assertThat(storedState(db, d2)).isEqualTo("waiting_children");
        assertThat(tryClaim(engine, ls).executionId()).isEqualTo(s);
    }

    @Test
    @DisplayName("DG-04 quorum(2 of 5)/let_run: pending after three failures, impossible after the fourth (D skipped); the fifth keeps running, no queue rows")
    void quorumLetRunImpossible() {
        FlowId flow = FlowTestSupport.flow(engine, "quorum-let-run");
        List<String> lanes = new ArrayList<>();
        List<ExecutionId> ups = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lanes.add(lane("q" + i));
            ups.add(member(engine, flow, lanes.get(i)));
        }
        String ld = lane("qd");
        ExecutionId d = member(engine, flow, ld, EdgeGroupPolicy.quorum(2, OnSatisfied.LET_RUN),
                ups.toArray(ExecutionId[]::new));
        ClaimedExecution fifth = claim(engine, lanes.get(4), ups.get(4));

        for (int i = 0; i < 3; i++) {
            failPermanently(engine, claim(engine, lanes.get(i), ups.get(i)));
            int failures = i + 1;
            eventually().until(() -> group(engine, flow, d).failed() == failures);
            assertThat(group(engine, flow, d).decision()).isEqualTo(GroupDecision.PENDING);
            assertThat(storedState(db, d)).isEqualTo("waiting_children");
        }
        failPermanently(engine, claim(engine, lanes.get(3), ups.get(3)));
        eventually().until(() -> storedState(db, d).equals("skipped"));

        assertThat(groupState(db, flow, d)).isEqualTo("impossible");
        assertThat(completionEvents(db, d, "skipped")).isEqualTo(1);
        assertThat(siblingRows(db, flow)).isZero();
        assertThat(group(engine, flow, d).cancelSiblingsPending()).isFalse();
        assertThat(storedState(db, ups.get(4))).isEqualTo("active");

        // The survivor completes normally; the latched decision and D are unchanged, the count records it.
        complete(engine, fifth);
        eventually().until(() -> group(engine, flow, d).success() == 1);
        awaitAllDispatched(flow);
        assertThat(counts(db, flow, d)).containsExactly(5, 1, 4, 0);
        assertThat(groupState(db, flow, d)).isEqualTo("impossible");
        assertThat(completionEvents(db, d)).isEqualTo(1);
    }

    @Test
    @DisplayName("DG-04 quorum(2)/let_run: pending after one success, satisfied after two; siblings keep running")
    void quorumLetRunSatisfied() {
        FlowId flow = FlowTestSupport.flow(engine, "quorum-let-run-ok");
        List<String> lanes = new ArrayList<>();
        List<ExecutionId> ups = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lanes.add(lane("ql" + i));
            ups.add(member(engine, flow, lanes.get(i)));
        }
        String ld = lane("qld");
        ExecutionId d = member(engine, flow, ld, EdgeGroupPolicy.quorum(2, OnSatisfied.LET_RUN),
                ups.toArray(ExecutionId[]::new));
        ClaimedExecution third = claim(engine, lanes.get(2), ups.get(2));

        complete(engine, claim(engine, lanes.get(0), ups.get(0)));
        eventually().until(() -> group(engine, flow, d).success() == 1);
        assertThat(group(engine, flow, d).decision()).isEqualTo(GroupDecision.PENDING);
        assertThat(tryClaim(engine, ld)).isNull();
        complete(engine, claim(engine, lanes.get(1), ups.get(1)));
        awaitClaim(engine, ld, d);

        assertThat(groupState(db, flow, d)).isEqualTo("satisfied");
        assertThat(siblingRows(db, flow)).isZero();
        assertThat(storedState(db, ups.get(2))).isEqualTo("active");
        complete(engine, third);
        eventually().until(() -> group(engine, flow, d).success() == 3);
    }

    @Test
    @DisplayName("quorum(2 of 5)/cancel_remaining: two successes satisfy the group and cancel exactly the remaining three")
    void quorumCancelRemaining() {
        FlowId flow = FlowTestSupport.flow(engine, "quorum-cancel");
        List<String> lanes = new ArrayList<>();
        List<ExecutionId> ups = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lanes.add(lane("qc" + i));
            ups.add(member(engine, flow, lanes.get(i)));
        }
        String ld = lane("qcd");
        ExecutionId d = member(engine, flow, ld, EdgeGroupPolicy.quorum(2, OnSatisfied.CANCEL_REMAINING),
                ups.toArray(ExecutionId[]::new));
        ClaimedExecution running = claim(engine, lanes.get(4), ups.get(4));

        complete(engine, claim(engine, lanes.get(0), ups.get(0)));
        eventually().until(() -> group(engine, flow, d).success() == 1);
        assertThat(siblingRows(db, flow)).isZero();
        complete(engine, claim(engine, lanes.get(1), ups.get(1)));

        awaitClaim(engine, ld, d);
        List<ExecutionId> remaining = ups.subList(2, 5);
        eventually().until(() -> remaining.stream().allMatch(x -> storedState(db, x).equals("cancelled")));
        for (ExecutionId x : remaining) {
            assertThat(completionEvents(db, x, "cancelled")).isEqualTo(1);
            assertThat(completionEvents(db, x)).isEqualTo(1);
            assertThat(execRow(db, x, "cancellation_reason"))
                    .containsEntry("cancellation_reason", "sibling_quorum_satisfied");
        }
        assertThat(leaseEvents(db, ups.get(4), "revoked")).isEqualTo(1);
        StateException fenced = catchThrowableOfType(
                () -> await(engine.workers().complete(running.fence(), null, null)), StateException.class);
        assertThat(fenced).isNotNull();
        assertThat(fenced.kind()).isIn(StateException.Kind.EXECUTION_NOT_ACTIVE, StateException.Kind.LEASE_REVOKED);
        assertThat(storedState(db, ups.get(0))).isEqualTo("completed");
        assertThat(storedState(db, ups.get(1))).isEqualTo("completed");
        eventually().until(() -> !group(engine, flow, d).cancelSiblingsPending());
        awaitAllDispatched(flow);
        assertThat(counts(db, flow, d)).containsExactly(5, 2, 3, 0);
        assertThat(siblingRows(db, flow)).isZero();
    }

    @Test
    @DisplayName("DG-05 quorum(3 of 5)/cancel_remaining: three failures make it impossible; D skipped; the two unresolved siblings cancelled with sibling_quorum_impossible")
    void quorumImpossibleCancelsRemaining() {
        FlowId flow = FlowTestSupport.flow(engine, "quorum-impossible");
        List<String> lanes = new ArrayList<>();
        List<ExecutionId> ups = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lanes.add(lane("qi" + i));
            ups.add(member(engine, flow, lanes.get(i)));
        }
        ExecutionId d = member(engine, flow, lane("qid"), EdgeGroupPolicy.quorum(3, OnSatisfied.CANCEL_REMAINING),
                ups.toArray(ExecutionId[]::new));

        for (int i = 0; i < 3; i++) {
            failPermanently(engine, claim(engine, lanes.get(i), ups.get(i)));
        }
        eventually().until(() -> storedState(db, d).equals("skipped"));
        eventually().until(() -> storedState(db, ups.get(3)).equals("cancelled")
                && storedState(db, ups.get(4)).equals("cancelled"));

        assertThat(completionEvents(db, d)).isEqualTo(1);
        assertThat(completionEvents(db, d, "skipped")).isEqualTo(1);
        for (ExecutionId x : ups.subList(3, 5)) {
            assertThat(completionEvents(db, x, "cancelled")).isEqualTo(1);
            assertThat(execRow(db, x, "cancellation_reason"))
                    .containsEntry("cancellation_reason", "sibling_quorum_impossible");
        }
        eventually().until(() -> !group(engine, flow, d).cancelSiblingsPending());
        awaitAllDispatched(flow);
        assertThat(counts(db, flow, d)).containsExactly(5, 0, 5, 0);
        assertThat(groupState(db, flow, d)).isEqualTo("impossible");
    }

    @Test
    @DisplayName("DG-10 data passing: ref 'payload' copies the upstream result into ff_dependency_input, $input replaces the input; a cancelled downstream is not modified")
    void dataPassing() {
        FlowId flow = FlowTestSupport.flow(engine, "data");
        String l1 = lane("dp1");
        String l2 = lane("dp2");
        String l3 = lane("dp3");
        String ld = lane("dpd");
        ExecutionId u1 = member(engine, flow, l1);
        ExecutionId u2 = member(engine, flow, l2);
        ExecutionId u3 = member(engine, flow, l3);
        ExecutionId d = EngineFixture.create(engine, CreateExecution.builder(ld).flowId(flow).input("original")
                .dependsOn(new Dependency(u1, "payload")).dependsOn(new Dependency(u2, "$input")).build());
        ExecutionId e = EngineFixture.create(engine, CreateExecution.builder(ld).flowId(flow).input("untouched")
                .dependsOn(new Dependency(u3, "$input")).dependsOn(new Dependency(u1, "other")).build());
        assertThat(await(engine.flows().listEdges(flow, d, false).collectList()))
                .extracting(EdgeSnapshot::dataPassingRef).containsExactlyInAnyOrder("payload", "$input");

        await(engine.operator().cancelExecution(e, "not needed", "test"));
        String eBefore = (String) db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", e.partition(), e.uuid()).orElseThrow();

        complete(engine, claim(engine, l1, u1), "R1", "text/plain");
        eventually().until(() -> group(engine, flow, d).success() == 1);
        List<Map<String, Object>> copied = db.queryRows("SELECT ref, upstream_id, payload, encoding"
                + " FROM flowfabric.ff_dependency_input WHERE partition_key = ? AND downstream_id = ?",
                d.partition(), d.uuid());
        assertThat(copied).hasSize(1);
        assertThat(copied.get(0)).containsEntry("ref", "payload").containsEntry("upstream_id", u1.uuid())
                .containsEntry("encoding", "text/plain");
        assertThat(new String((byte[]) copied.get(0).get("payload"), StandardCharsets.UTF_8)).isEqualTo("R1");
        ExecutionInput stillOriginal = await(engine.executions().readExecutionInput(d)).orElseThrow();
        assertThat(new String(stillOriginal.input(), StandardCharsets.UTF_8)).isEqualTo("original");

        complete(engine, claim(engine, l2, u2), "{\"r\":2}", "application/json");
        complete(engine, claim(engine, l3, u3), "R3", "text/plain");
        ClaimedExecution claimedD = awaitClaim(engine, ld, d);

        ExecutionInput input = await(engine.executions().readExecutionInput(d)).orElseThrow();
        assertThat(new String(input.input(), StandardCharsets.UTF_8)).isEqualTo("{\"r\":2}");
        assertThat(input.encoding()).isEqualTo("application/json");
        assertThat(new String(claimedD.input(), StandardCharsets.UTF_8)).isEqualTo("{\"r\":2}");
        assertThat(claimedD.inputEncoding()).isEqualTo("application/json");
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_dependency_input WHERE partition_key = ?"
                + " AND downstream_id = ?", d.partition(), d.uuid())).isEqualTo(1);

        // The cancelled downstream: neither its input nor its dependency inputs were written.
        awaitAllDispatched(flow);
        assertThat(db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", e.partition(), e.uuid())).contains(eBefore);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_dependency_input WHERE partition_key = ?"
                + " AND downstream_id = ?", e.partition(), e.uuid())).isZero();
        assertThat(new String(await(engine.executions().readExecutionInput(e)).orElseThrow().input(),
                StandardCharsets.UTF_8)).isEqualTo("untouched");
    }

    /**
     * Runs {@code threads} workers that claim from {@code lanes} and complete until every one of {@code members} is
     * completed (they are the only members of the flow in those lanes). At each claim the worker checks that every upstream of the claimed member has completed (all_of):
     * nothing may be claimable before its group is satisfied. Each member must be claimed exactly once.
     */
    private void runWorkers(int threads, FlowId flow, List<String> lanes, List<ExecutionId> members,
                            Map<ExecutionId, List<ExecutionId>> upstreams) throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        Map<ExecutionId, Integer> claims = new ConcurrentHashMap<>();
        Set<ExecutionId> expected = Set.copyOf(members);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String worker = "worker-" + t;
                workers.add(pool.submit(() -> {
                    while (!done.get()) {
                        ClaimedExecution c = engine.workers().claim(ClaimRequest.builder(worker, worker).lanes(lanes)
                                .maxWait(Duration.ofMillis(200)).build()).block(TIMEOUT);
                        if (c == null) {
                            continue;
                        }
                        claims.merge(c.executionId(), 1, Integer::sum);
                        if (!expected.contains(c.executionId())) {
                            violations.add("claimed a foreign execution " + c.executionId());
                        }
                        for (ExecutionId u : upstreams.getOrDefault(c.executionId(), List.of())) {
                            String s = storedState(db, u);
                            if (!s.equals("completed")) {
                                violations.add(c.executionId() + " claimed while upstream " + u + " is " + s);
                            }
                        }
                        engine.workers().complete(c.fence(), null, null).block(TIMEOUT);
                    }
                    return null;
                }));
            }
            FlowTestSupport.eventually().atMost(Duration.ofSeconds(60)).until(() -> db.queryLong(
                    "SELECT count(*) FROM flowfabric.ff_exec_core WHERE partition_key = ? AND flow_id = ?"
                            + " AND lane_id = ANY(string_to_array(?, ',')) AND public_state = 'completed'",
                    flow.partition(), flow.uuid(), String.join(",", lanes)) == members.size());
            done.set(true);
            for (Future<?> w : workers) {
                w.get(30, TimeUnit.SECONDS);
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(violations).isEmpty();
        assertThat(claims).hasSize(members.size());
        assertThat(claims.values()).containsOnly(1);
    }
}
