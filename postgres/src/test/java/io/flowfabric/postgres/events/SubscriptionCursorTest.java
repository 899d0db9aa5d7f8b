package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.completionCursor;
import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** Request validation at subscription, and cursors older than the pruning watermark (SB-11). */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriptionCursorTest {

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

    @AfterEach
    void resetWatermarks() {
        db.execute("UPDATE flowfabric.ff_outbox_watermark SET tx_id = '0'::xid8, event_id = 0");
    }

    @Test
    @DisplayName("Subscribe validation: batch size 0 or 1001 and a zero poll interval are ValidationException(INVALID_INPUT) at subscription; 1 and 1000 are accepted")
    void invalidRequests() {
        for (int batch : new int[] {0, -1, 1001}) {
            SubscribeRequest request = SubscribeRequest.builder().batchSize(batch).build();
            expectInvalid(engine.subscriptions().subscribeCompletions(request));
            expectInvalid(engine.subscriptions().subscribeLeaseHistory(request));
        }
        expectInvalid(engine.subscriptions().subscribeCompletions(
                SubscribeRequest.builder().pollInterval(Duration.ZERO).build()));
        expectInvalid(engine.subscriptions().subscribeLeaseHistory(
                SubscribeRequest.builder().pollInterval(Duration.ofMillis(-5)).build()));
        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().namespace("not a namespace!").build()))
                .expectError(ValidationException.class)
                .verify(TIMEOUT);

        for (int batch : new int[] {1, 1000}) {
            String namespace = unique("batch");
            ExecutionId id = createAndCancel(engine, namespace, unique("batch")).block(TIMEOUT);
            EventCursor before = new EventCursor(completionCursor(db, id).txId() - 1, 0);
            StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                            .cursor(before).namespace(namespace).batchSize(batch).build()))
                    .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(id))
                    .thenCancel()
                    .verify(TIMEOUT);
        }
    }

    @Test
    @DisplayName("SB-11 a cursor older than the pruning watermark is State(CURSOR_EXPIRED); with acceptGap reading starts at the watermark and only the first event is flagged gap; a cursor at the watermark is fine")
    void watermark() {
        String namespace = unique("sb11");
        String lane = unique("sb11");
        List<ExecutionId> ids = Flux.range(0, 4).concatMap(i -> createAndCancel(engine, namespace, lane))
                .collectList().block(TIMEOUT);
        EventCursor a = completionCursor(db, ids.get(0));
        EventCursor b = completionCursor(db, ids.get(1));
        // Pruning removed everything up to B.
        db.execute("UPDATE flowfabric.ff_outbox_watermark SET tx_id = ?::text::xid8, event_id = ?"
                + " WHERE outbox_table = 'ff_completion_event'", Long.toUnsignedString(b.txId()), b.eventId());

        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(a).namespace(namespace).build()))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(StateException.class);
                    assertThat(((StateException) e).kind()).isEqualTo(StateException.Kind.CURSOR_EXPIRED);
                })
                .verify(TIMEOUT);

        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(a).namespace(namespace).acceptGap(true).build()))
                .assertNext(gapped(ids.get(2), true))
                .assertNext(gapped(ids.get(3), false))
                .expectNoEvent(Duration.ofMillis(1200))
                .thenCancel()
                .verify(TIMEOUT);

        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(b).namespace(namespace).build()))
                .assertNext(gapped(ids.get(2), false))
                .assertNext(gapped(ids.get(3), false))
                .thenCancel()
                .verify(TIMEOUT);

        // Lease history checks its own outbox's watermark.
        db.execute("UPDATE flowfabric.ff_outbox_watermark SET tx_id = ?::text::xid8, event_id = ?"
                + " WHERE outbox_table = 'ff_lease_event'", Long.toUnsignedString(b.txId()), 1_000_000L);
        StepVerifier.create(engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.after(a)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(StateException.class,
                        s -> assertThat(s.kind()).isEqualTo(StateException.Kind.CURSOR_EXPIRED)))
                .verify(TIMEOUT);
        StepVerifier.create(engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.builder().cursor(a)
                        .acceptGap(true).build()))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(500))
                .thenCancel()
                .verify(TIMEOUT);
        // Subscribing from now is never affected by the watermark.
        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow()))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(500))
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    @DisplayName("SB-11 the outbox_pruning job prunes past a cursor: subscribing with it is State(CURSOR_EXPIRED); with acceptGap reading starts at the watermark it recorded and the first event is flagged gap")
    void realPruning() {
        String namespace = unique("sb11p");
        String lane = unique("sb11p");
        ExecutionId a = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        ExecutionId b = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        EventCursor cursorA = completionCursor(db, a);
        EventCursor cursorB = completionCursor(db, b);
        // Undispatched completion events are never pruned: wait for the engine's dispatcher.
        await().atMost(Duration.ofSeconds(20)).until(() -> db.queryLong(
                "SELECT count(*) FROM flowfabric.ff_completion_event WHERE dispatched_at_ms IS NULL") == 0);
        try {
            clock.advance(Duration.ofDays(8));
            TickReport report = engine.reconcilers().tick("outbox_pruning").block(TIMEOUT);
            assertThat(report).isNotNull();
            assertThat(report.acted()).isPositive();
        } finally {
            clock.reset();
        }
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event WHERE namespace = ?",
                namespace)).isZero();
        Map<String, Object> watermark = db.queryRows("SELECT tx_id::text AS tx, event_id FROM"
                + " flowfabric.ff_outbox_watermark WHERE outbox_table = 'ff_completion_event'").get(0);
        assertThat(new EventCursor(Long.parseLong((String) watermark.get("tx")), (Long) watermark.get("event_id")))
                .isEqualTo(cursorB);
        ExecutionId c = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        ExecutionId d = createAndCancel(engine, namespace, lane).block(TIMEOUT);

        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.after(cursorA)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(StateException.class,
                        s -> assertThat(s.kind()).isEqualTo(StateException.Kind.CURSOR_EXPIRED)))
                .verify(TIMEOUT);
        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(cursorA).namespace(namespace).acceptGap(true).build()))
                .assertNext(gapped(c, true))
                .assertNext(gapped(d, false))
                .thenCancel()
                .verify(TIMEOUT);
        StepVerifier.create(engine.subscriptions().subscribeCompletions(
                        SubscribeRequest.builder().cursor(cursorB).namespace(namespace).build()))
                .assertNext(gapped(c, false))
                .assertNext(gapped(d, false))
                .thenCancel()
                .verify(TIMEOUT);
    }

    private static Consumer<CompletionEvent> gapped(ExecutionId id, boolean gap) {
        return e -> {
            assertThat(e.payload().executionId()).isEqualTo(id);
            assertThat(e.gap()).as("gap flag of %s", id).isEqualTo(gap);
        };
    }

    private static void expectInvalid(Flux<?> subscription) {
        StepVerifier.create(subscription)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ValidationException.class,
                        v -> assertThat(v.kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT)))
                .verify(TIMEOUT);
    }
}
