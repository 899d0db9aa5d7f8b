package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.create;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.OperatorEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ReplayOptions;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.OperatorEventType;
import io.flowfabric.core.state.OperatorSubjectKind;
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

/** The operator outbox as a subscription: the same reader as completions and lease history, another table and mapper. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorEventsTest {

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

    @Test
    @DisplayName("SB-09 operator events: execution_cancelled (actor, reason), replayed (reason), flow_cancel_requested (policy, reason) arrive in cursor order with their subjects and details")
    void operatorEventsArriveWithDetails() {
        String namespace = unique("sb09");
        EventCursor start = nowCursor(db);
        ExecutionId id = create(engine, namespace, unique("sb09-lane")).block(TIMEOUT);
        engine.operator().cancelExecution(id, "no longer needed", "alice").block(TIMEOUT);
        engine.operator().replayExecution(id, ReplayOptions.withReason("try again")).block(TIMEOUT);
        FlowId flow = engine.flows().createFlow(CreateFlow.of(namespace, "sb09")).block(TIMEOUT).flowId();
        engine.flows().cancelFlow(new CancelFlow(flow, CancelFlow.Policy.FLOW_ONLY, "stop", Duration.ZERO, "bob"))
                .block(TIMEOUT);

        List<OperatorEvent> events = engine.subscriptions().subscribeOperatorEvents(SubscribeRequest.builder()
                        .cursor(start).namespace(namespace).build())
                .take(3).collectList().block(TIMEOUT);

        assertThat(events).extracting(OperatorEvent::type, OperatorEvent::subjectKind, OperatorEvent::subjectId,
                        OperatorEvent::actor)
                .containsExactly(
                        tuple(OperatorEventType.EXECUTION_CANCELLED, OperatorSubjectKind.EXECUTION, id.toString(),
                                "alice"),
                        tuple(OperatorEventType.REPLAYED, OperatorSubjectKind.EXECUTION, id.toString(), null),
                        tuple(OperatorEventType.FLOW_CANCEL_REQUESTED, OperatorSubjectKind.FLOW, flow.toString(),
                                "bob"));
        assertThat(events.get(0).details()).contains("\"reason\"").contains("no longer needed");
        assertThat(events.get(1).details()).contains("try again");
        assertThat(events.get(2).details()).contains("flow_only").contains("stop");
        assertThat(events).allMatch(e -> namespace.equals(e.namespace()) && !e.gap());
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
        }
    }

    @Test
    @DisplayName("SB-09 operator-event filters run in SQL: by type, by subject execution and by subject flow, each sees only its own")
    void operatorEventFilters() {
        String namespace = unique("sb09f");
        EventCursor start = nowCursor(db);
        String lane = unique("sb09f-lane");
        ExecutionId first = create(engine, namespace, lane).block(TIMEOUT);
        ExecutionId second = create(engine, namespace, lane).block(TIMEOUT);
        engine.operator().cancelExecution(first, "one", "alice").block(TIMEOUT);
        engine.operator().cancelExecution(second, "two", "alice").block(TIMEOUT);
        engine.operator().replayExecution(second, ReplayOptions.none()).block(TIMEOUT);
        FlowId flow = engine.flows().createFlow(CreateFlow.of(namespace, "sb09f")).block(TIMEOUT).flowId();
        engine.flows().cancelFlow(new CancelFlow(flow, CancelFlow.Policy.FLOW_ONLY, "stop", Duration.ZERO, null))
                .block(TIMEOUT);
        // A marker written last: once a subscription has it, it has read everything before it.
        ExecutionId marker = create(engine, namespace, lane).block(TIMEOUT);
        engine.operator().cancelExecution(marker, "marker", "alice").block(TIMEOUT);

        List<OperatorEvent> replays = read(SubscribeRequest.builder().cursor(start).namespace(namespace)
                .operatorTypes(OperatorEventType.REPLAYED, OperatorEventType.FLOW_CANCEL_REQUESTED).build(), 2);
        assertThat(replays).extracting(OperatorEvent::type)
                .containsExactly(OperatorEventType.REPLAYED, OperatorEventType.FLOW_CANCEL_REQUESTED);

        List<OperatorEvent> ofSecond = read(SubscribeRequest.builder().cursor(start).namespace(namespace)
                .executionId(second).build(), 2);
        assertThat(ofSecond).extracting(OperatorEvent::type)
                .containsExactly(OperatorEventType.EXECUTION_CANCELLED, OperatorEventType.REPLAYED);
        assertThat(ofSecond).allMatch(e -> e.subjectId().equals(second.toString()));

        List<OperatorEvent> ofFlow = read(SubscribeRequest.builder().cursor(start).flowId(flow).build(), 1);
        assertThat(ofFlow).extracting(OperatorEvent::type).containsExactly(OperatorEventType.FLOW_CANCEL_REQUESTED);

        // Nothing else follows within a second: the filters left out every other event.
        List<OperatorEvent> all = read(SubscribeRequest.builder().cursor(start).namespace(namespace).build(), 5);
        assertThat(all.get(4).subjectId()).isEqualTo(marker.toString());
        for (SubscribeRequest filtered : List.of(
                SubscribeRequest.builder().cursor(ofSecond.get(1).cursor()).namespace(namespace)
                        .executionId(second).pollInterval(Duration.ofMillis(100)).build(),
                SubscribeRequest.builder().cursor(ofFlow.get(0).cursor()).flowId(flow)
                        .pollInterval(Duration.ofMillis(100)).build())) {
            assertThat(engine.subscriptions().subscribeOperatorEvents(filtered)
                    .take(Duration.ofSeconds(1)).collectList().block(TIMEOUT)).isEmpty();
        }
    }

    private List<OperatorEvent> read(SubscribeRequest request, int n) {
        return engine.subscriptions().subscribeOperatorEvents(request).take(n).collectList().block(TIMEOUT);
    }
}
