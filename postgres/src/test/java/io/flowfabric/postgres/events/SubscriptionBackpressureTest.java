package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.claimRequest;
import static io.flowfabric.postgres.events.EventTestSupport.create;
import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
import reactor.core.publisher.Flux;
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
    @DisplayName("SB-07 a subscriber that requests nothing while 2,000 events are produced receives nothing; request(5) with batch size 10 delivers exactly 5, the rest arrive in order only when requested")
    void exactlyTheDemand() {
        String namespace = unique("bp");
        String lane = unique("bp");
        int total = 2_000;
        EventCursor start = nowCursor(db);
        List<ExecutionId> produced = new ArrayList<>();
        List<CompletionEvent> received = new ArrayList<>();

        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .namespace(namespace).batchSize(10).pollInterval(Duration.ofMillis(200)).build()), 0)
                .expectSubscription()
                .then(() -> produced.addAll(Flux.range(0, total)
                        .flatMapSequential(i -> createAndCancel(engine, namespace, lane), 4)
                        .collectList().block(Duration.ofSeconds(60))))
                .as("no demand, no event")
                .expectNoEvent(Duration.ofSeconds(1))
                .recordWith(() -> received)
                .thenRequest(5)
                .expectNextCount(5)
                .as("exactly the 5 requested, although a batch holds 10")
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(5)
                .expectNextCount(5)
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(total - 10)
                .expectNextCount(total - 10)
                .expectNoEvent(Duration.ofMillis(500))
                .thenCancel()
                .verify(Duration.ofSeconds(90));

        assertThat(received).hasSize(total);
        Set<ExecutionId> ids = new HashSet<>();
        received.forEach(e -> ids.add(e.payload().executionId()));
        assertThat(ids).isEqualTo(new HashSet<>(produced));
        for (int i = 1; i < received.size(); i++) {
            assertThat(received.get(i).cursor()).isGreaterThan(received.get(i - 1).cursor());
        }
    }

    @Test
    @DisplayName("SB-07 2,000 lease events to a consumer requesting 1-7 at a time about every millisecond: all delivered in cursor order, none dropped")
    void burstyConsumer() {
        String namespace = unique("sb07");
        String lane = unique("sb07");
        int executions = 1_000;
        EventCursor start = nowCursor(db);
        Flux.range(0, executions).flatMap(i -> create(engine, namespace, lane), 4).then().block(TIMEOUT);
        BurstySubscriber consumer = new BurstySubscriber();
        engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.builder().cursor(start).namespace(namespace)
                        .batchSize(50).build())
                .subscribe(consumer);
        try {
            // Produce while the consumer reads: acquired events in batches of 25, then a released one each.
            List<ClaimedExecution> claimed = Flux.range(0, executions / 25)
                    .concatMap(i -> engine.workers().claimBatch(claimRequest(lane, "w"), 25))
                    .collectList()
                    .block(Duration.ofSeconds(60));
            assertThat(claimed).hasSize(executions);
            Flux.fromIterable(claimed)
                    .flatMap(c -> engine.workers().complete(c.fence(), null, null), 4)
                    .then()
                    .block(Duration.ofSeconds(60));

            await().atMost(Duration.ofSeconds(60)).until(() -> consumer.count() >= 2 * executions);
            assertThat(consumer.failure.get()).isNull();
            List<LeaseEvent> events = consumer.snapshot();
            assertThat(events).hasSize(2 * executions);
            assertThat(events.stream().map(LeaseEvent::eventId).distinct()).hasSize(2 * executions);
            for (int i = 1; i < events.size(); i++) {
                assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
            }
            assertThat(events.stream().filter(e -> e.type() == LeaseEventType.ACQUIRED)).hasSize(executions);
            assertThat(events.stream().filter(e -> e.type() == LeaseEventType.RELEASED)).hasSize(executions);
            assertThat(consumer.maxOutstanding.get()).as("never more delivered than requested").isLessThanOrEqualTo(7);
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
