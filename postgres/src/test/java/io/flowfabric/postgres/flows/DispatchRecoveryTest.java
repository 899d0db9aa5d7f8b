package io.flowfabric.postgres.flows;

import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.flows.FlowTestSupport.awaitClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.claim;
import static io.flowfabric.postgres.flows.FlowTestSupport.complete;
import static io.flowfabric.postgres.flows.FlowTestSupport.completionEvents;
import static io.flowfabric.postgres.flows.FlowTestSupport.counts;
import static io.flowfabric.postgres.flows.FlowTestSupport.edgesIntoText;
import static io.flowfabric.postgres.flows.FlowTestSupport.eventually;
import static io.flowfabric.postgres.flows.FlowTestSupport.groupText;
import static io.flowfabric.postgres.flows.FlowTestSupport.member;
import static io.flowfabric.postgres.flows.FlowTestSupport.siblingRows;
import static io.flowfabric.postgres.flows.FlowTestSupport.storedState;
import static io.flowfabric.postgres.flows.FlowTestSupport.tryClaim;
import static io.flowfabric.postgres.flows.FlowTestSupport.undispatched;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Dispatch faults (spec 03 §7): an event dispatched twice counts once, and a dispatcher that dies between two hops
 * leaves the event claimed until the claim expires, after which the {@code dependency} job finishes it without counting
 * the first hop again. The class's engine is the only dispatcher on its database; its crash hook is armed per test.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DispatchRecoveryTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;
    /** Hops left before the injected crash; 0 means disarmed. */
    private final AtomicInteger hopsUntilCrash = new AtomicInteger();
    private final AtomicBoolean crashed = new AtomicBoolean();

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock, b -> b.testDispatchCrash(hop -> {
            // Armed with n, the n-th hop from now crashes: the same as "hop == 2" on a fresh engine for n = 2.
            if (hopsUntilCrash.get() <= 0) {
                return false;
            }
            boolean crash = hopsUntilCrash.decrementAndGet() == 0;
            if (crash) {
                crashed.set(true);
            }
            return crash;
        }));
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    private Map<String, Object> event(ExecutionId id) {
        List<Map<String, Object>> rows = db.queryRows("SELECT event_id, dispatched_at_ms, dispatch_claimed_until_ms,"
                + " flowfabric.now_ms() AS now_ms FROM flowfabric.ff_completion_event WHERE partition_key = ?"
                + " AND execution_id = ?", id.partition(), id.uuid());
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private TickReport tick(PostgresEngine node, String job) {
        return node.reconcilers().tick(job).block(FlowTestSupport.TIMEOUT);
    }

    @Test
    @DisplayName("DG-06 the same completion event dispatched a second time counts nothing twice and has no second effect")
    void redispatchCountsOnce() {
        FlowId flow = FlowTestSupport.flow(engine, "dg06");
        String l1 = lane("r1");
        String l2 = lane("r2");
        String ld = lane("rd");
        ExecutionId u1 = member(engine, flow, l1);
        ExecutionId u2 = member(engine, flow, l2);
        ExecutionId d = member(engine, flow, ld, EdgeGroupPolicy.anyOf(OnSatisfied.LET_RUN), u1, u2);

        complete(engine, claim(engine, l1, u1));
        ClaimedExecution claimedD = awaitClaim(engine, ld, d);
        complete(engine, claim(engine, l2, u2));
        eventually().until(() -> undispatched(db, flow) == 0 && counts(db, flow, d).get(1) == 2);
        String groupBefore = groupText(db, flow, d);
        String edgesBefore = edgesIntoText(db, flow, d);
        Object dispatchedBefore = event(u1).get("dispatched_at_ms");

        // Another node dispatches u1's event again: its dispatch mark is lost, and the event is old enough for the job.
        db.execute("UPDATE flowfabric.ff_completion_event SET dispatched_at_ms = NULL, dispatch_claimed_until_ms = NULL"
                + " WHERE partition_key = ? AND execution_id = ?", u1.partition(), u1.uuid());
        clock.advance(Duration.ofSeconds(2));
        TickReport report = tick(engine, "dependency");

        assertThat(report.scanned()).isEqualTo(1);
        assertThat(report.acted()).isEqualTo(1);
        assertThat(event(u1).get("dispatched_at_ms")).isNotNull().isNotEqualTo(dispatchedBefore);
        assertThat(groupText(db, flow, d)).isEqualTo(groupBefore);
        assertThat(edgesIntoText(db, flow, d)).isEqualTo(edgesBefore);
        assertThat(counts(db, flow, d)).containsExactly(2, 2, 0, 0);
        assertThat(storedState(db, d)).isEqualTo("active");
        assertThat(completionEvents(db, d)).isZero();
        assertThat(siblingRows(db, flow)).isZero();
        complete(engine, claimedD);
    }

    @Test
    @DisplayName("DG-07 the dispatcher dies after hop 1 of 3: the event stays claimed and undispatched; after the claim expiry the dependency tick runs hops 2 and 3 and counts hop 1 once")
    void crashBetweenHops() {
        FlowId flow = FlowTestSupport.flow(engine, "dg07");
        String lu = lane("cu");
        ExecutionId u = member(engine, flow, lu);
        List<String> lanes = List.of(lane("c1"), lane("c2"), lane("c3"));
        List<ExecutionId> downs = lanes.stream().map(l -> member(engine, flow, l, u)).toList();
        ClaimedExecution claimedU = claim(engine, lu, u);
        crashed.set(false);
        hopsUntilCrash.set(2);

        complete(engine, claimedU);

        eventually().untilTrue(crashed);
        // Hop 1 committed before the crash: exactly one downstream (the one with the lowest edge id) is released.
        eventually().until(() -> downs.stream().filter(x -> storedState(db, x).equals("waiting")).count() == 1);
        assertThat(downs.stream().filter(x -> storedState(db, x).equals("waiting_children")).count()).isEqualTo(2);
        Map<String, Object> stuck = event(u);
        assertThat(stuck.get("dispatched_at_ms")).isNull();
        assertThat((Long) stuck.get("dispatch_claimed_until_ms")).isGreaterThan((Long) stuck.get("now_ms"));

        // Before the claim expires, nobody takes the event.
        assertThat(tick(engine, "dependency").scanned()).isZero();
        assertThat(downs.stream().filter(x -> storedState(db, x).equals("waiting")).count()).isEqualTo(1);

        // The claim expires; the dependency job finishes the event. (It runs on this engine: a freshly started
        // engine would take the event at once through its listener's catch-up wake, bypassing the job.)
        clock.advance(Duration.ofSeconds(31));
        TickReport report = tick(engine, "dependency");
        assertThat(report.scanned()).isEqualTo(1);
        assertThat(report.acted()).isEqualTo(1);

        assertThat(event(u).get("dispatched_at_ms")).isNotNull();
        assertThat(event(u).get("dispatch_claimed_until_ms")).isNull();
        for (int i = 0; i < 3; i++) {
            ExecutionId x = downs.get(i);
            assertThat(storedState(db, x)).isEqualTo("waiting");
            assertThat(counts(db, flow, x)).as("group of downstream %d", i).containsExactly(1, 1, 0, 0);
            assertThat(db.queryValue("SELECT resolved_by_event_id FROM flowfabric.ff_edge WHERE partition_key = ?"
                    + " AND flow_id = ? AND downstream_id = ?", flow.partition(), flow.uuid(), x.uuid()))
                    .contains(event(u).get("event_id"));
            complete(engine, claim(engine, lanes.get(i), x));
        }
        assertThat(hopsUntilCrash.get()).isZero();
        assertThat(tryClaim(engine, lu)).isNull();
    }
}
