package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.insertCompletions;
import static io.flowfabric.postgres.events.EventTestSupport.insertLeaseEvents;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Backpressure (spec 04 §5): nothing is emitted without demand, exactly the demand is emitted, nothing is dropped. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriptionBackpressureTest {

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
    @DisplayName("SB-07 a subscriber that requests nothing while 2,000 events are committed receives nothing; with batch size 10, request(5) delivers exactly 5 and the rest arrive in order only when requested; resuming from the last cursor delivers the remainder, none dropped")
    void exactlyTheDemand() {
        String namespace = unique("bp");
        int total = 2_000;
        EventCursor start = nowCursor(db);
        List<CompletionEvent> received = Collections.synchronizedList(new ArrayList<>());

        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .namespace(namespace).batchSize(10).pollInterval(Duration.ofMillis(200)).build())
                        .doOnNext(received::add), 0)
                .expectSubscription()
                // 40 transactions of 50 events, each with its NOTIFY, written by another session.
                .then(() -> {
                    for (int i = 0; i < total / 50; i++) {
                        insertCompletions(db, namespace, 50);
                    }
                })
                .expectNoEvent(Duration.ofSeconds(1))
                .as("no demand, no event")
                .thenRequest(5)
                .expectNextCount(5)
                .expectNoEvent(Duration.ofMillis(500))
                .as("exactly the 5 requested, although a batch holds 10")
                .thenRequest(5)
                .expectNextCount(5)
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(25)
                .expectNextCount(25)
                .as("25 more, across three batches")
                .expectNoEvent(Duration.ofMillis(500))
                .thenCancel()
                .verify(Duration.ofSeconds(60));
        assertThat(received).hasSize(35);

        // Resume after the last event handled: the other 1,965 follow, none lost to the cancelled reader's batch.
        List<CompletionEvent> rest = engine.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                        .cursor(received.get(received.size() - 1).cursor()).namespace(namespace).batchSize(1000)
                        .build())
                .take(total - 35)
                .collectList()
                .block(Duration.ofSeconds(60));
        List<CompletionEvent> all = new ArrayList<>(received);
        all.addAll(rest);
        assertThat(all).hasSize(total);
        assertThat(all.stream().map(e -> e.payload().executionId()).distinct()).hasSize(total);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event WHERE namespace = ?",
                namespace)).isEqualTo(total);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).cursor()).isGreaterThan(all.get(i - 1).cursor());
        }
    }

    @Test
    @DisplayName("SB-07 10,000 lease events (100 transactions) to a consumer requesting 1-7 at a time about every millisecond: all delivered in cursor order, none dropped, never more than requested")
    void burstyConsumer() {
        String namespace = unique("sb07");
        int transactions = 100;
        int perTransaction = 100;
        int total = transactions * perTransaction;
        EventCursor start = nowCursor(db);
        BurstySubscriber consumer = new BurstySubscriber();
        engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.builder().cursor(start).namespace(namespace)
                        .batchSize(50).build())
                .subscribe(consumer);
        try {
            // Produce while the consumer reads.
            for (int i = 0; i < transactions; i++) {
                insertLeaseEvents(db, namespace, perTransaction);
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> consumer.count() >= total
                    || consumer.failure.get() != null);
            assertThat(consumer.failure.get()).isNull();
            List<LeaseEvent> events = consumer.snapshot();
            assertThat(events).hasSize(total);
            assertThat(events.stream().map(LeaseEvent::cursor).distinct()).hasSize(total);
            for (int i = 1; i < events.size(); i++) {
                assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
            }
            assertThat(events).extracting(LeaseEvent::type).containsOnly(LeaseEventType.ACQUIRED);
            assertThat(consumer.maxOutstanding.get()).as("never more delivered than requested")
                    .isLessThanOrEqualTo(7);
        } finally {
            consumer.dispose();
        }
    }

    /** Requests 1..7 events, and after receiving them all requests again about a millisecond later. */
    private static final class BurstySubscriber extends BaseSubscriber<LeaseEvent> {
        private final List<LeaseEvent> events = Collections.synchronizedList(new ArrayList<>());
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicLong outstanding = new AtomicLong();
        private final AtomicLong maxOutstanding = new AtomicLong();

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            burst();
        }

        @Override
        protected void hookOnNext(LeaseEvent value) {
            events.add(value);
            long left = outstanding.decrementAndGet();
            if (left < 0) {
                maxOutstanding.set(Long.MAX_VALUE);
            }
            if (left == 0) {
                Schedulers.parallel().schedule(this::burst, 1, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        protected void hookOnError(Throwable throwable) {
            failure.set(throwable);
        }

        private void burst() {
            int n = ThreadLocalRandom.current().nextInt(1, 8);
            long now = outstanding.addAndGet(n);
            maxOutstanding.accumulateAndGet(now, Math::max);
            request(n);
        }

        int count() {
            return events.size();
        }

        List<LeaseEvent> snapshot() {
            synchronized (events) {
                return new ArrayList<>(events);
            }
        }
    }
}
