package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.COMPLETION_CHANNEL;
import static io.flowfabric.postgres.events.EventTestSupport.LEASE_CHANNEL;
import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.claimRequest;
import static io.flowfabric.postgres.events.EventTestSupport.completionCursor;
import static io.flowfabric.postgres.events.EventTestSupport.create;
import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.postgres.events.EventTestSupport.RawListener;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.test.StepVerifier;

/** Commit-order safety (spec 04 §4), events of one transaction, resuming, and one NOTIFY per transaction. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriptionOrderingTest {

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

    @Test
    @DisplayName("SB-04 [FAULT] T1 writes an event and stays open, T2 writes a later event and commits: nothing is delivered while T1 is open; after T1 commits both arrive exactly once, T1's first")
    void heldTransaction() throws SQLException {
        String namespace = unique("sb04");
        String lane = unique("sb04");
        ExecutionId before = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        EventCursor start = completionCursor(db, before);
        ExecutionId held = ExecutionId.of(3, UUID.randomUUID());
        ExecutionId later = create(engine, namespace, lane).block(TIMEOUT);

        try (Connection t1 = db.openConnection()) {
            t1.setAutoCommit(false);
            // T1 takes its transaction id and event id first ...
            EventTestSupport.insertCompletion(t1, namespace, held);
            // ... then T2 (the engine) takes later ones and commits.
            engine.operator().cancelExecution(later, "after T1", null).block(TIMEOUT);
            EventCursor laterCursor = completionCursor(db, later);
            assertThat(laterCursor).isGreaterThan(start);

            List<CompletionEvent> received = new ArrayList<>();
            StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                            .cursor(start).namespace(namespace).pollInterval(Duration.ofMillis(200)).build()))
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(1500))
                    .as("nothing while T1 is open, although T2's event is committed")
                    .then(() -> commit(t1))
                    .recordWith(() -> received)
                    .expectNextCount(2)
                    .expectNoEvent(Duration.ofMillis(1000))
                    .as("no duplicate afterwards")
                    .thenCancel()
                    .verify(TIMEOUT);

            assertThat(received).extracting(e -> e.payload().executionId()).containsExactly(held, later);
            CompletionEvent first = received.get(0);
            CompletionEvent second = received.get(1);
            assertThat(first.cursor()).isLessThan(second.cursor());
            assertThat(first.eventId()).as("T1 allocated its event id first").isLessThan(second.eventId());
            assertThat(Long.compareUnsigned(first.cursor().txId(), second.cursor().txId())).isNegative();
            assertThat(second.cursor()).isEqualTo(laterCursor);
            assertThat(second.payload().outcome()).isEqualTo(TerminalOutcome.CANCELLED);
        }
    }

    @Test
    @DisplayName("SB-04 while T1 holds the horizon back, the gauge flowfabric.subscription.held_back{family=completion} reports the 1 committed row the subscriber cannot deliver yet, and 0 once it is delivered")
    void heldBackGauge() throws SQLException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String namespace = unique("sb04g");
        String lane = unique("sb04g");
        try (PostgresEngine metered = EventTestSupport.engine(db, clock, unique("sb04g"),
                b -> b.meterRegistry(registry));
             Connection t1 = db.openConnection()) {
            ExecutionId before = createAndCancel(metered, namespace, lane).block(TIMEOUT);
            EventCursor start = completionCursor(db, before);
            ExecutionId later = create(metered, namespace, lane).block(TIMEOUT);
            t1.setAutoCommit(false);
            EventTestSupport.insertCompletion(t1, namespace, ExecutionId.of(5, UUID.randomUUID()));
            metered.operator().cancelExecution(later, null, null).block(TIMEOUT);

            Disposable subscription = metered.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                    .cursor(start).namespace(namespace).pollInterval(Duration.ofMillis(200)).build()).subscribe();
            try {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heldBack(registry))
                        .as("flowfabric.subscription.held_back{family=completion}").isEqualTo(1.0));
                t1.commit();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heldBack(registry))
                        .isEqualTo(0.0));
            } finally {
                subscription.dispose();
            }
        }
    }

    private static @Nullable Double heldBack(SimpleMeterRegistry registry) {
        Gauge gauge = registry.find("flowfabric.subscription.held_back").tag("family", "completion").gauge();
        return gauge == null ? null : gauge.value();
    }

    @Test
    @DisplayName("SB-05 [FAULT] receive A and cancel; commit B and C; resubscribe from A's cursor: exactly B then C, no A")
    void resumeFromCursor() {
        String namespace = unique("sb05");
        String lane = unique("sb05");
        EventCursor start = nowCursor(db);
        ExecutionId a = createAndCancel(engine, namespace, lane).block(TIMEOUT);

        CompletionEvent eventA = engine.subscriptions()
                .subscribeCompletions(SubscribeRequest.builder().cursor(start).namespace(namespace).build())
                .take(1)
                .blockFirst(TIMEOUT);
        assertThat(eventA).isNotNull();
        assertThat(eventA.payload().executionId()).isEqualTo(a);

        ExecutionId b = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        ExecutionId c = createAndCancel(engine, namespace, lane).block(TIMEOUT);

        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(eventA.cursor()).namespace(namespace).build()))
                .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(b))
                .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(c))
                .expectNoEvent(Duration.ofMillis(1500))
                .thenCancel()
                .verify(TIMEOUT);

        // The text form of the cursor resumes the same way.
        EventCursor fromText = EventCursor.fromText(eventA.cursor().toText());
        StepVerifier.create(engine.subscriptions()
                        .completions(SubscribeRequest.builder().cursor(fromText).namespace(namespace).build())
                        .take(2))
                .assertNext(p -> assertThat(p.executionId()).isEqualTo(b))
                .assertNext(p -> assertThat(p.executionId()).isEqualTo(c))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    @DisplayName("SB-03 5 completion events written in one transaction with one NOTIFY are delivered contiguously in event-id order; a raw LISTEN client sees exactly one notification")
    void oneTransactionManyEvents() throws SQLException {
        String namespace = unique("sb03");
        EventCursor start = nowCursor(db);
        List<ExecutionId> written = new ArrayList<>();
        for (int partition : new int[] {200, 0, 77, 9, 255}) {
            written.add(ExecutionId.of(partition, UUID.randomUUID()));
        }
        try (RawListener listener = new RawListener(db, COMPLETION_CHANNEL)) {
            try (Connection c = db.openConnection()) {
                c.setAutoCommit(false);
                for (ExecutionId id : written) {
                    EventTestSupport.insertCompletion(c, namespace, id);
                }
                EventTestSupport.notify(c, COMPLETION_CHANNEL);
                c.commit();
            }
            assertThat(listener.countWithin(Duration.ofSeconds(1))).isEqualTo(1);
        }

        List<CompletionEvent> events = engine.subscriptions()
                .subscribeCompletions(SubscribeRequest.builder().cursor(start).namespace(namespace).build())
                .take(5)
                .collectList()
                .block(TIMEOUT);

        assertThat(events).extracting(e -> e.payload().executionId()).containsExactlyElementsOf(written);
        assertThat(events).extracting(e -> e.cursor().txId()).containsOnly(events.get(0).cursor().txId());
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).eventId()).isGreaterThan(events.get(i - 1).eventId());
        }
    }

    @Test
    @DisplayName("SB-03 claimBatch(5) writes 5 lease events in one transaction: delivered in event-id order with one tx id; a raw LISTEN client on the lease channel sees exactly one notification")
    void engineBatchOneNotification() {
        String namespace = unique("sb03b");
        String lane = unique("sb03b");
        for (int i = 0; i < 5; i++) {
            create(engine, namespace, lane).block(TIMEOUT);
        }
        EventCursor start = nowCursor(db);
        List<ClaimedExecution> claimed;
        try (RawListener listener = new RawListener(db, LEASE_CHANNEL)) {
            claimed = engine.workers().claimBatch(claimRequest(lane, "w"), 5).collectList().block(TIMEOUT);
            assertThat(listener.countWithin(Duration.ofSeconds(1))).isEqualTo(1);
        }
        assertThat(claimed).hasSize(5);

        List<LeaseEvent> events = engine.subscriptions()
                .subscribeLeaseHistory(SubscribeRequest.builder().cursor(start).namespace(namespace).build())
                .take(5)
                .collectList()
                .block(TIMEOUT);

        assertThat(events).extracting(LeaseEvent::type).containsOnly(LeaseEventType.ACQUIRED);
        assertThat(events).extracting(LeaseEvent::executionId).containsExactlyInAnyOrderElementsOf(
                claimed.stream().map(ClaimedExecution::executionId).toList());
        assertThat(events).extracting(e -> e.cursor().txId()).containsOnly(events.get(0).cursor().txId());
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).eventId()).isGreaterThan(events.get(i - 1).eventId());
        }
    }

    @Test
    @DisplayName("SB-03 an engine transaction that writes one completion event (plus lease and operator events) sends exactly one completion notification; a rejected one sends none")
    void oneNotificationPerTransaction() {
        String namespace = unique("sb03c");
        String lane = unique("sb03c");
        ExecutionId id = create(engine, namespace, lane).block(TIMEOUT);
        ClaimedExecution claimed = engine.workers().claim(claimRequest(lane, "w")).block(TIMEOUT);
        assertThat(claimed).isNotNull();

        try (RawListener listener = new RawListener(db, COMPLETION_CHANNEL)) {
            engine.operator().cancelExecution(id, "stop", "op").block(TIMEOUT);
            assertThat(listener.countWithin(Duration.ofSeconds(1))).isEqualTo(1);

            Throwable rejected = catchThrowable(() -> engine.workers().complete(claimed.fence(), null, null)
                    .block(TIMEOUT));
            assertThat(rejected).isInstanceOf(StateException.class);
            assertThat(listener.countWithin(Duration.ofSeconds(1))).isZero();
        }
        Set<String> types = db.queryRows("SELECT event_type FROM flowfabric.ff_lease_event WHERE partition_key = ?"
                + " AND execution_id = ?", id.partition(), id.uuid()).stream()
                .map(r -> (String) r.get("event_type")).collect(Collectors.toSet());
        assertThat(types).containsExactlyInAnyOrder("acquired", "revoked");
    }

    private static void commit(Connection c) {
        try {
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
