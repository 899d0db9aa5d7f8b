package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.TIMEOUT;
import static io.flowfabric.postgres.flows.FlowTestSupport.counts;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.groupState;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.storedState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
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
 * Three engines dispatching the same flows at once (spec 03 §7): every engine's dispatcher wakes on its own commits
 * and on the other engines' NOTIFYs and races for the same completion events. The outcome must be exactly that of a
 * single engine, which for these flows is fixed by hand: each edge resolved once, counters equal to the resolutions,
 * one completion event per terminal member. The sibling cancels of {@code cancel_remaining} groups decided on
 * different engines at once are checked separately, so that the two properties fail independently.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiEngineDispatchTest {

    private static final int FLOWS = 5;

    private final List<PostgresEngine> engines = new ArrayList<>();
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        for (int i = 0; i < 3; i++) {
            String name = "ff-node-" + i;
            engines.add(EngineFixture.start(db, clock, b -> b.applicationName(name)));
        }
    }

    @AfterAll
    void stop() {
        engines.forEach(PostgresEngine::close);
    }

    /** One flow of the scenario: its members by name and the expected outcome of every group. */
    private static final class Scenario {
        final FlowId flow;
        final Map<String, ExecutionId> members = new LinkedHashMap<>();
        final Map<String, String> expectedState = new LinkedHashMap<>();
        /** Downstream name -> [staged, success, failed, skipped] and decision. */
        final Map<String, List<Integer>> expectedCounts = new LinkedHashMap<>();
        final Map<String, String> expectedDecision = new LinkedHashMap<>();
        final Map<String, EdgeGroupPolicy> policies = new LinkedHashMap<>();

        Scenario(FlowId flow) {
            this.flow = flow;
        }
    }

    /**
     * Builds one flow on {@code engine}:
     * <pre>
     *   S1 ok, S2 fail, S3 ok, S4 ok  -> Q  quorum(2)/let_run      satisfied (4, 3, 1, 0)
     *   S5 ok, S6 ok                  -> Y  any_of/let_run          satisfied (2, 2, 0, 0)
     *   Q, Y                          -> Z  all_of                  satisfied (2, 2, 0, 0)
     *   Z -> Z1, Z -> Z2                    all_of                  satisfied (1, 1, 0, 0)
     *   S8 fail -> W -> W2                  all_of                  impossible, both skipped
     *   S9 fail, S10 fail, S11 ok     -> K  quorum(2)/let_run       impossible (3, 1, 2, 0), K skipped
     * </pre>
     */
    private Scenario build(PostgresEngine engine, String ok, String fail, String work) {
        Scenario s = new Scenario(FlowTestSupport.flow(engine, "multi"));
        for (String name : List.of("S1", "S3", "S4", "S5", "S6", "S11")) {
            s.members.put(name, member(engine, s.flow, ok));
            s.expectedState.put(name, "completed");
        }
        for (String name : List.of("S2", "S8", "S9", "S10")) {
            s.members.put(name, member(engine, s.flow, fail));
            s.expectedState.put(name, "failed");
        }
        downstream(engine, s, work, "Q", EdgeGroupPolicy.quorum(2, OnSatisfied.LET_RUN), "completed",
                List.of(4, 3, 1, 0), "satisfied", "S1", "S2", "S3", "S4");
        downstream(engine, s, work, "Y", EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN), "completed",
                List.of(2, 2, 0, 0), "satisfied", "S5", "S6");
        downstream(engine, s, work, "Z", EdgeGroupPolicy.allOf(), "completed", List.of(2, 2, 0, 0), "satisfied",
                "Q", "Y");
        downstream(engine, s, work, "Z1", EdgeGroupPolicy.allOf(), "completed", List.of(1, 1, 0, 0), "satisfied",
                "Z");
        downstream(engine, s, work, "Z2", EdgeGroupPolicy.allOf(), "completed", List.of(1, 1, 0, 0), "satisfied",
                "Z");
        downstream(engine, s, work, "W", EdgeGroupPolicy.allOf(), "skipped", List.of(1, 0, 1, 0), "impossible",
                "S8");
        downstream(engine, s, work, "W2", EdgeGroupPolicy.allOf(), "skipped", List.of(1, 0, 0, 1), "impossible",
                "W");
        downstream(engine, s, work, "K", EdgeGroupPolicy.quorum(2, OnSatisfied.LET_RUN), "skipped",
                List.of(3, 1, 2, 0), "impossible", "S9", "S10", "S11");
        return s;
    }

    private static void downstream(PostgresEngine engine, Scenario s, String lane, String name, EdgeGroupPolicy policy,
                                   String state, List<Integer> counts, String decision, String... upstreams) {
        ExecutionId[] ups = new ExecutionId[upstreams.length];
        for (int i = 0; i < ups.length; i++) {
            ups[i] = s.members.get(upstreams[i]);
        }
        s.members.put(name, member(engine, s.flow, lane, policy, ups));
        s.expectedState.put(name, state);
        s.expectedCounts.put(name, counts);
        s.expectedDecision.put(name, decision);
        s.policies.put(name, policy);
    }

    @Test
    @DisplayName("three engines dispatching 5 flows (quorum, any_of, all_of, fan-in, fan-out, skips) concurrently give exactly the single-engine outcome")
    void threeEnginesGiveSingleEngineResult() throws Exception {
        String ok = lane("ok");
        String fail = lane("fail");
        String work = lane("work");
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Scenario> scenarios = new ArrayList<>();
        int memberCount;
        try {
            // The flows are built concurrently, each on one of the engines.
            List<Future<Scenario>> builds = new ArrayList<>();
            for (int f = 0; f < FLOWS; f++) {
                PostgresEngine node = engines.get(f % 3);
                builds.add(pool.submit(() -> build(node, ok, fail, work)));
            }
            for (Future<Scenario> b : builds) {
                scenarios.add(b.get(60, TimeUnit.SECONDS));
            }
            memberCount = scenarios.stream().mapToInt(s -> s.members.size()).sum();

            // Claim every source first (alternating engines), then end them all at once from alternating engines.
            List<ClaimedExecution> okClaims = claimAll(ok, 6 * FLOWS);
            List<ClaimedExecution> failClaims = claimAll(fail, 4 * FLOWS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> enders = new ArrayList<>();
            for (int i = 0; i < okClaims.size() + failClaims.size(); i++) {
                boolean success = i < okClaims.size();
                ClaimedExecution c = success ? okClaims.get(i) : failClaims.get(i - okClaims.size());
                PostgresEngine node = engines.get(i % 3);
                enders.add(pool.submit(() -> {
                    go.await();
                    if (success) {
                        node.workers().complete(c.fence(), null, null).block(TIMEOUT);
                    } else {
                        node.workers().fail(c.fence(), FailureReason.of("boom"), FailureClass.PERMANENT)
                                .block(TIMEOUT);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : enders) {
                f.get(60, TimeUnit.SECONDS);
            }

            // Workers on every engine run the released downstreams.
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                PostgresEngine node = engines.get(w);
                String id = "worker-" + w;
                workers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        try {
                            ClaimedExecution c = node.workers().claim(ClaimRequest.builder(id, id).lane(work)
                                    .maxWait(Duration.ofMillis(200)).build()).block(TIMEOUT);
                            if (c != null) {
                                node.workers().complete(c.fence(), null, null).block(TIMEOUT);
                            }
                        } catch (RuntimeException e) {
                            errors.add(e);
                        }
                    }
                    return null;
                }));
            }
            eventually().atMost(Duration.ofSeconds(30)).until(() -> terminalMembers(scenarios) == memberCount);
            stop.set(true);
            for (Future<?> w : workers) {
                w.get(30, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(errors).isEmpty();
        String inFlows = inFlows(scenarios.stream().map(s -> s.flow).toList());
        eventually().until(() -> db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE dispatched_at_ms IS NULL AND " + inFlows) == 0);

        for (Scenario s : scenarios) {
            for (Map.Entry<String, ExecutionId> m : s.members.entrySet()) {
                assertThat(storedState(db, m.getValue())).as("state of %s in flow %s", m.getKey(), s.flow)
                        .isEqualTo(s.expectedState.get(m.getKey()));
                assertThat(FlowTestSupport.completionEvents(db, m.getValue()))
                        .as("completion events of %s in flow %s", m.getKey(), s.flow).isEqualTo(1);
            }
            for (Map.Entry<String, List<Integer>> g : s.expectedCounts.entrySet()) {
                ExecutionId down = s.members.get(g.getKey());
                List<Integer> actual = counts(db, s.flow, down);
                assertThat(actual).as("counts of group %s in flow %s", g.getKey(), s.flow)
                        .isEqualTo(g.getValue());
                assertThat(groupState(db, s.flow, down)).as("decision of group %s", g.getKey())
                        .isEqualTo(s.expectedDecision.get(g.getKey()));
                // The latched decision agrees with the reference rule applied to the final counters.
                assertThat(GroupDecision.evaluate(s.policies.get(g.getKey()), actual.get(0), actual.get(1),
                        actual.get(2), actual.get(3)).literal()).isEqualTo(s.expectedDecision.get(g.getKey()));
            }
        }
        // Each edge resolved exactly once, by its upstream's (only) completion event.
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_edge WHERE " + inFlows)).isEqualTo(15L * FLOWS);
        assertThat(db.queryLong("""
                SELECT count(*) FROM flowfabric.ff_edge e
                WHERE (e.edge_state <> 'resolved' OR e.resolved_by_event_id IS DISTINCT FROM (
                  SELECT c.event_id FROM flowfabric.ff_completion_event c
                  WHERE c.partition_key = e.partition_key AND c.execution_id = e.upstream_id)) AND e.""" + inFlows))
                .isZero();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_edge_group WHERE " + inFlows
                + " AND (success_count + failed_count + skipped_count <> staged_count OR cancel_siblings_pending)"))
                .isZero();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_sibling_cancel WHERE " + inFlows)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event WHERE " + inFlows))
                .isEqualTo(memberCount);
    }

    @Test
    @DisplayName("three engines: any_of/cancel_remaining winners completed concurrently cancel every loser (idle or running) exactly once, in every flow")
    void threeEnginesCancelLosersOnce() throws Exception {
        String win = lane("win");
        String idle = lane("idle");
        String run = lane("run");
        String down = lane("down");
        record Losers(FlowId flow, ExecutionId winner, List<ExecutionId> idle, ExecutionId running,
                      ExecutionId downstream) {
        }
        List<Losers> flows = new ArrayList<>();
        for (int f = 0; f < FLOWS; f++) {
            PostgresEngine node = engines.get(f % 3);
            FlowId flow = FlowTestSupport.flow(node, "multi-cancel");
            ExecutionId u = member(node, flow, win);
            ExecutionId l1 = member(node, flow, idle);
            ExecutionId l2 = member(node, flow, idle);
            ExecutionId r = member(node, flow, run);
            ExecutionId d = member(node, flow, down, EdgeGroupPolicy.anyOf(OnSatisfied.CANCEL_REMAINING), u, l1, l2,
                    r);
            flows.add(new Losers(flow, u, List.of(l1, l2), r, d));
        }
        List<ClaimedExecution> running = claimAll(run, FLOWS);
        List<ClaimedExecution> winners = claimAll(win, FLOWS);
        ExecutorService pool = Executors.newFixedThreadPool(FLOWS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> enders = new ArrayList<>();
            for (int i = 0; i < FLOWS; i++) {
                ClaimedExecution c = winners.get(i);
                PostgresEngine node = engines.get((i + 1) % 3);
                enders.add(pool.submit(() -> {
                    go.await();
                    return node.workers().complete(c.fence(), null, null).block(TIMEOUT);
                }));
            }
            go.countDown();
            for (Future<?> f : enders) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        String inFlows = inFlows(flows.stream().map(Losers::flow).toList());
        eventually().atMost(Duration.ofSeconds(30)).until(() -> db.queryLong("SELECT count(*)"
                + " FROM flowfabric.ff_exec_core WHERE " + inFlows + " AND public_state = 'cancelled'") == 3L * FLOWS);
        eventually().until(() -> db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE dispatched_at_ms IS NULL AND " + inFlows) == 0
                && db.queryLong("SELECT count(*) FROM flowfabric.ff_edge_group WHERE cancel_siblings_pending AND "
                + inFlows) == 0);
        for (Losers l : flows) {
            for (ExecutionId loser : List.of(l.idle().get(0), l.idle().get(1), l.running())) {
                assertThat(storedState(db, loser)).isEqualTo("cancelled");
                assertThat(FlowTestSupport.completionEvents(db, loser)).isEqualTo(1);
                assertThat(FlowTestSupport.execRow(db, loser, "cancellation_reason"))
                        .containsEntry("cancellation_reason", "sibling_quorum_satisfied");
            }
            assertThat(FlowTestSupport.leaseEvents(db, l.running(), "revoked")).isEqualTo(1);
            assertThat(storedState(db, l.winner())).isEqualTo("completed");
            assertThat(storedState(db, l.downstream())).isEqualTo("waiting");
            assertThat(counts(db, l.flow(), l.downstream())).containsExactly(4, 1, 3, 0);
            assertThat(groupState(db, l.flow(), l.downstream())).isEqualTo("satisfied");
        }
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_sibling_cancel WHERE " + inFlows)).isZero();
        for (ClaimedExecution c : running) {
            StateException fenced = catchThrowableOfType(
                    () -> engines.get(0).workers().complete(c.fence(), null, null).block(TIMEOUT),
                    StateException.class);
            assertThat(fenced).as("the cancelled running loser's worker is fenced").isNotNull();
            assertThat(fenced.kind()).isIn(StateException.Kind.EXECUTION_NOT_ACTIVE,
                    StateException.Kind.LEASE_REVOKED);
        }
    }

    private long terminalMembers(List<Scenario> scenarios) {
        return scenarios.stream().mapToLong(s -> db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND flow_id = ? AND lifecycle_phase = 'terminal'", s.flow.partition(),
                s.flow.uuid())).sum();
    }

    /** A SQL condition on {@code flow_id} for these flows (their ids are generated here, never user input). */
    private static String inFlows(List<FlowId> flows) {
        return "flow_id IN (" + String.join(", ", flows.stream().map(f -> "'" + f.uuid() + "'::uuid").toList()) + ")";
    }

    /** Claims {@code n} executions from {@code lane}, alternating engines. */
    private List<ClaimedExecution> claimAll(String lane, int n) {
        List<ClaimedExecution> claims = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PostgresEngine node = engines.get(i % 3);
            ClaimedExecution c = node.workers().claim(ClaimRequest.builder("src", "src-" + i).lane(lane).build())
                    .block(TIMEOUT);
            assertThat(c).as("source claim %d on %s", i, lane).isNotNull();
            claims.add(c);
        }
        assertThat(claims.stream().map(ClaimedExecution::executionId).distinct()).hasSize(n);
        return claims;
    }
}
