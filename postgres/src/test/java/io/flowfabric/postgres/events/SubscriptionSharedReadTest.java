package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.insertCompletions;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;

/**
 * Subscribers of one family at the same position share a read in flight: the caught-up subscribers a notification
 * wakes cost one statement together, and sharing never couples a slow subscriber to the others.
 */
@FlowFabricPostgres
class SubscriptionSharedReadTest {

    private static final Duration LONG_POLL = Duration.ofMinutes(5);

    @Test
    @DisplayName("SB-07 three caught-up subscribers woken by the same commits share reads: 20 commits cost about one read each, not three, and each subscriber gets all 20 in cursor order")
    void caughtUpSubscribersShareReads(TestDatabase db, TestClock clock) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("shared"),
                b -> b.meterRegistry(registry))) {
            String namespace = unique("shared");
            // A long poll interval: every read below is caused by a notification.
            SubscribeRequest request = SubscribeRequest.builder().cursor(nowCursor(db)).namespace(namespace)
                    .pollInterval(LONG_POLL).build();
            List<List<CompletionEvent>> received = new ArrayList<>();
            List<Disposable> subscriptions = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                List<CompletionEvent> mine = Collections.synchronizedList(new ArrayList<>());
                received.add(mine);
                subscriptions.add(engine.subscriptions().subscribeCompletions(request).subscribe(mine::add));
            }
            try {
                // Let the first reads finish (each subscriber's first read may join one issued after it started).
                await(() -> reads(registry) >= 1);
                sleep(500);
                double readsBefore = reads(registry);
                double wakesBefore = notifications(registry);

                for (int i = 1; i <= 20; i++) {
                    insertCompletions(db, namespace, 1);
                    int expected = i;
                    await(() -> received.stream().allMatch(r -> r.size() >= expected));
                }

                double reads = reads(registry) - readsBefore;
                double wakes = notifications(registry) - wakesBefore;
                assertThat(wakes).as("notifications received").isGreaterThanOrEqualTo(20);
                // Unshared, each wake costs three reads (60 here); shared, one, plus the odd read of a subscriber that
                // was still busy when the wake arrived.
                assertThat(reads).as("reads for %s wakes of three subscribers", wakes).isLessThanOrEqualTo(wakes + 10);
                for (List<CompletionEvent> mine : received) {
                    assertThat(mine).hasSize(20);
                    for (int k = 1; k < mine.size(); k++) {
                        assertThat(mine.get(k).cursor()).isGreaterThan(mine.get(k - 1).cursor());
                    }
                }
                assertThat(received.get(1)).isEqualTo(received.get(0));
                assertThat(received.get(2)).isEqualTo(received.get(0));
            } finally {
                subscriptions.forEach(Disposable::dispose);
            }
        }
    }

    @Test
    @DisplayName("SB-07 a subscriber that requests nothing shares no read that would hold the others back: two others receive 300 events while it receives none, then it receives all 300 in order on request")
    void stalledSubscriberDoesNotHoldTheOthers(TestDatabase db, TestClock clock) {
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("shared-stall"))) {
            String namespace = unique("stall");
            EventCursor start = nowCursor(db);
            SubscribeRequest request = SubscribeRequest.builder().cursor(start).namespace(namespace).batchSize(50)
                    .pollInterval(Duration.ofMillis(200)).build();
            List<CompletionEvent> stalledGot = Collections.synchronizedList(new ArrayList<>());
            BaseSubscriber<CompletionEvent> stalled = new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    // No demand yet.
                }

                @Override
                protected void hookOnNext(CompletionEvent value) {
                    stalledGot.add(value);
                }
            };
            engine.subscriptions().subscribeCompletions(request).subscribe(stalled);
            List<CompletionEvent> a = Collections.synchronizedList(new ArrayList<>());
            List<CompletionEvent> b = Collections.synchronizedList(new ArrayList<>());
            Disposable da = engine.subscriptions().subscribeCompletions(request).subscribe(a::add);
            Disposable dbs = engine.subscriptions().subscribeCompletions(request).subscribe(b::add);
            try {
                for (int i = 0; i < 30; i++) {
                    insertCompletions(db, namespace, 10);
                }
                await(() -> a.size() == 300 && b.size() == 300);
                sleep(300);
                assertThat(stalledGot).as("nothing requested, nothing received").isEmpty();

                stalled.request(Long.MAX_VALUE);
                await(() -> stalledGot.size() == 300);
                assertThat(stalledGot).isEqualTo(a);
                assertThat(b).isEqualTo(a);
                assertThat(a.stream().map(e -> e.payload().executionId()).distinct()).hasSize(300);
                for (int k = 1; k < a.size(); k++) {
                    assertThat(a.get(k).cursor()).isGreaterThan(a.get(k - 1).cursor());
                }
            } finally {
                stalled.dispose();
                da.dispose();
                dbs.dispose();
            }
        }
    }

    @Test
    @DisplayName("SB-06 [FAULT] three subscribers sharing reads while the pool's connections are killed five times during 400 one-event commits: each gets all 400 exactly once, in cursor order, without an error")
    void sharedReadsSurviveKilledConnections(TestDatabase db, TestClock clock) throws Exception {
        String app = unique("shared-fault");
        String namespace = unique("shared-fault");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, app)) {
            SubscribeRequest request = SubscribeRequest.builder().cursor(nowCursor(db)).namespace(namespace)
                    .pollInterval(Duration.ofMillis(200)).build();
            List<List<CompletionEvent>> received = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            List<Disposable> subscriptions = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                List<CompletionEvent> mine = Collections.synchronizedList(new ArrayList<>());
                received.add(mine);
                subscriptions.add(engine.subscriptions().subscribeCompletions(request)
                        .subscribe(mine::add, failures::add));
            }
            java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                java.util.concurrent.Future<List<ExecutionId>> written = writer.submit(
                        () -> EventTestSupport.commitCompletionsOneByOne(db, namespace, 400));
                int killed = 0;
                for (int round = 0; round < 5 && !written.isDone(); round++) {
                    sleep(40);
                    // Only the pool's connections: the listener's are named <app>-listener.
                    killed += db.terminateBackends(app);
                }
                List<ExecutionId> ids = written.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(killed).as("pooled backends terminated mid-burst").isPositive();
                await(() -> received.stream().allMatch(r -> r.size() >= 400) || !failures.isEmpty());
                sleep(300);
                assertThat(failures).as("subscription errors").isEmpty();
                for (List<CompletionEvent> mine : received) {
                    synchronized (mine) {
                        assertThat(mine).extracting(e -> e.payload().executionId()).containsExactlyElementsOf(ids);
                        for (int k = 1; k < mine.size(); k++) {
                            assertThat(mine.get(k).cursor()).isGreaterThan(mine.get(k - 1).cursor());
                        }
                    }
                }
            } finally {
                writer.shutdownNow();
                subscriptions.forEach(Disposable::dispose);
            }
        }
    }

    private static double reads(SimpleMeterRegistry registry) {
        Timer timer = registry.find("flowfabric.subscription.read").tag("family", "completion").tag("outcome", "ok")
                .timer();
        return timer == null ? 0 : timer.count();
    }

    private static double notifications(SimpleMeterRegistry registry) {
        return registry.find("flowfabric.listener.notifications").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", TIMEOUT).isLessThan(deadline);
            sleep(5);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
