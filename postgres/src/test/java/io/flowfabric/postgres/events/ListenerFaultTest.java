package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.create;
import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.insertCompletion;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The engine's one LISTEN connection under faults: killed mid-burst, never reachable at all, and its
 * reference-counted channels. Every test builds engines with their own {@code application_name}, so terminating
 * {@code <app>-listener} cuts exactly one engine's listener and nothing else.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListenerFaultTest {

    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void setUp(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Test
    @DisplayName("SB-06 [FAULT] the listener backend is terminated mid-burst: the subscription does not error, the listener reconnects, and all 2,000 events are delivered once, in order")
    void listenerKilledMidBurst() {
        String app = unique("sb06");
        String namespace = unique("sb06");
        String lane = unique("sb06");
        int total = 2_000;
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, app)) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            List<CompletionEvent> received = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean completed = new AtomicBoolean();
            Disposable subscription = engine.subscriptions()
                    .subscribeCompletions(SubscribeRequest.builder().cursor(nowCursor(db)).namespace(namespace)
                            .build())
                    .subscribe(received::add, failure::set, () -> completed.set(true));
            try {
                CompletableFuture<List<ExecutionId>> burst = Flux.range(0, total)
                        .flatMap(i -> createAndCancel(engine, namespace, lane), 4)
                        .collectList()
                        .toFuture();
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 300 || burst.isDone());
                assertThat(burst).as("the burst is still running when the listener is cut").isNotDone();

                assertThat(db.terminateBackends(app + "-listener")).as("listener backends terminated").isEqualTo(1);

                List<ExecutionId> produced = burst.join();
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= total);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> engine.listenerReconnects() >= 1 && engine.listenerConnected());

                assertThat(failure.get()).as("subscription error").isNull();
                assertThat(completed).as("subscription completed").isFalse();
                List<CompletionEvent> events;
                synchronized (received) {
                    events = new ArrayList<>(received);
                }
                assertThat(events).hasSize(total);
                Set<ExecutionId> ids = new HashSet<>();
                events.forEach(e -> ids.add(e.payload().executionId()));
                assertThat(ids).isEqualTo(new HashSet<>(produced));
                for (int i = 1; i < events.size(); i++) {
                    assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
                }
            } finally {
                subscription.dispose();
            }

            // The reconnected listener LISTENs again: a NOTIFY wakes a subscriber whose poll interval is 10 s.
            assertWakesUp(engine);
        }
    }

    @Test
    @DisplayName("SB-06 [FAULT] no NOTIFY at all (listener on a closed port): subscriptions deliver at their poll interval, claims and awaitOutcome poll too")
    void noListenerAtAll() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        PostgresqlConnectionFactory unreachable = new PostgresqlConnectionFactory(
                PostgresqlConnectionConfiguration.builder().host("127.0.0.1").port(closedPort)
                        .database(db.name()).username(db.username()).password(db.password())
                        .connectTimeout(Duration.ofMillis(500)).build());
        String namespace = unique("nonotify");
        String lane = unique("nonotify");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("nonotify"),
                b -> b.listenerConnectionFactory(unreachable))) {
            assertThat(engine.listenerConnected()).isFalse();

            // Written over plain JDBC without NOTIFY, so only a read at the poll interval can find them.
            AtomicLong insertedAt = new AtomicLong();
            StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                                    .cursor(nowCursor(db)).namespace(namespace)
                                    .pollInterval(Duration.ofMillis(300)).build()))
                    .then(() -> {
                        insertCompletion(db, namespace, false);
                        insertedAt.set(System.nanoTime());
                    })
                    .assertNext(e -> assertThat(Duration.ofNanos(System.nanoTime() - insertedAt.get()))
                            .as("delivery without NOTIFY, poll interval 300 ms")
                            .isLessThan(Duration.ofSeconds(2)))
                    .then(() -> createAndCancel(engine, namespace, lane).block(TIMEOUT))
                    .assertNext(e -> assertThat(e.payload().outcome()).isEqualTo(TerminalOutcome.CANCELLED))
                    .thenCancel()
                    .verify(TIMEOUT);

            // A blocking claim finds work created while it is parked (claim poll interval 200 ms).
            ClaimRequest claim = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(10)).build();
            ExecutionId[] createdId = new ExecutionId[1];
            StepVerifier.create(engine.workers().claim(claim))
                    .then(() -> createdId[0] = Mono.delay(Duration.ofMillis(300))
                            .then(create(engine, namespace, lane)).block(TIMEOUT))
                    .assertNext(c -> assertThat(c.executionId()).isEqualTo(createdId[0]))
                    .expectComplete()
                    .verify(TIMEOUT);

            // awaitOutcome still sees a completion that happens while it waits (poll 1 s).
            ExecutionId awaited = create(engine, namespace, lane).block(TIMEOUT);
            ClaimedExecution running = engine.workers()
                    .claim(ClaimRequest.builder("w", "w-1").lane(lane).build()).block(TIMEOUT);
            assertThat(running).isNotNull();
            assertThat(running.executionId()).isEqualTo(awaited);
            StepVerifier.create(engine.subscriptions().awaitOutcome(awaited, Duration.ofSeconds(10)))
                    .then(() -> Mono.delay(Duration.ofMillis(200))
                            .then(engine.workers().complete(running.fence(), null, null)).subscribe())
                    .assertNext(o -> assertThat(o.outcome()).isEqualTo(TerminalOutcome.SUCCESS))
                    .expectComplete()
                    .verify(TIMEOUT);
            assertThat(engine.listenerConnected()).isFalse();
            assertThat(engine.listenerReconnects()).isZero();
        }
    }

    @Test
    @DisplayName("CL-07 a worker blocked in claim (maxWait 5 s, poll interval 10 s) gets an execution another engine creates 300 ms later within 1.5 s: a NOTIFY woke it")
    void claimWokenByNotify() {
        String lane = unique("cl07");
        String namespace = unique("cl07");
        try (PostgresEngine worker = EventTestSupport.engine(db, clock, unique("cl07w"),
                b -> b.claimPollInterval(Duration.ofSeconds(10)));
             PostgresEngine creator = EventTestSupport.engine(db, clock, unique("cl07c"))) {
            await().atMost(Duration.ofSeconds(10)).until(worker::listenerConnected);
            AtomicLong createdAt = new AtomicLong();
            AtomicLong claimedAt = new AtomicLong();
            Mono<ClaimedExecution> claim = worker.workers()
                    .claim(ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(5)).build())
                    .doOnNext(c -> claimedAt.set(System.nanoTime()));
            Mono<ExecutionId> later = Mono.delay(Duration.ofMillis(300))
                    .then(create(creator, namespace, lane))
                    .doOnNext(id -> createdAt.set(System.nanoTime()));

            var both = Mono.zip(claim, later).block(TIMEOUT);

            assertThat(both).isNotNull();
            assertThat(both.getT1().executionId()).isEqualTo(both.getT2());
            assertThat(Duration.ofNanos(claimedAt.get() - createdAt.get()))
                    .as("claim returned after the create committed (a poll would take 5 s)")
                    .isLessThan(Duration.ofMillis(1500));
            assertThat(worker.listenerChannels()).isZero();
        }
    }

    @Test
    @DisplayName("CL-08 [FAULT] a blocked claim survives the listener backend being terminated: it returns the execution within the poll fallback, and the listener reconnects and re-listens")
    void claimSurvivesListenerLoss() {
        String app = unique("cl08");
        String lane = unique("cl08");
        String namespace = unique("cl08");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, app,
                b -> b.claimPollInterval(Duration.ofSeconds(1)))) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            AtomicLong claimedAt = new AtomicLong();
            CompletableFuture<ClaimedExecution> claim = engine.workers()
                    .claim(ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(20)).build())
                    .doOnNext(c -> claimedAt.set(System.nanoTime()))
                    .toFuture();
            // The claim registered its lane's ready channel: it is parked.
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() >= 1);

            assertThat(db.terminateBackends(app + "-listener")).as("listener backends terminated").isEqualTo(1);
            ExecutionId id = create(engine, namespace, lane).block(TIMEOUT);
            long createdAt = System.nanoTime();

            ClaimedExecution claimed = claim.join();
            assertThat(claimed).as("the blocked claim's result").isNotNull();
            assertThat(claimed.executionId()).isEqualTo(id);
            assertThat(Duration.ofNanos(claimedAt.get() - createdAt))
                    .as("within the poll fallback (1 s) plus slack").isLessThan(Duration.ofSeconds(4));

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> engine.listenerReconnects() >= 1 && engine.listenerConnected());
            assertWakesUp(engine);
        }
    }

    @Test
    @DisplayName("SB-12 three completion subscriptions share one channel; after all are cancelled the channel gauge is back to 0; claims and awaitOutcome release theirs; later writes do not block")
    void channelsAreReferenceCounted() {
        String namespace = unique("sb12");
        String lane = unique("sb12");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("sb12"))) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            assertThat(engine.listenerChannels()).isZero();

            List<List<CompletionEvent>> received = new ArrayList<>();
            List<Disposable> subscriptions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<CompletionEvent> events = Collections.synchronizedList(new ArrayList<>());
                received.add(events);
                subscriptions.add(engine.subscriptions()
                        .subscribeCompletions(SubscribeRequest.builder().namespace(namespace).build())
                        .subscribe(events::add));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == 1);
            ExecutionId marker = createAndCancel(engine, namespace, lane).block(TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> received.stream()
                    .allMatch(events -> events.stream().anyMatch(e -> e.payload().executionId().equals(marker))));
            assertThat(engine.listenerChannels()).as("one completion channel for three subscribers").isEqualTo(1);

            subscriptions.get(0).dispose();
            subscriptions.get(1).dispose();
            assertThat(engine.listenerChannels()).as("still one subscriber").isEqualTo(1);
            subscriptions.get(2).dispose();
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == 0);

            // Later writes, engine and plain SQL with NOTIFY, do not block on anything the subscriptions left.
            assertThat(createAndCancel(engine, namespace, lane).block(Duration.ofSeconds(10))).isNotNull();
            insertCompletion(db, namespace, true);

            // A waiting claim and awaitOutcome each release their channel when they end.
            StepVerifier.create(engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(unique("empty"))
                            .maxWait(Duration.ofMillis(300)).build()))
                    .expectComplete()
                    .verify(TIMEOUT);
            ExecutionId running = create(engine, namespace, lane).block(TIMEOUT);
            StepVerifier.create(engine.subscriptions().awaitOutcome(running, Duration.ofMillis(100)))
                    .expectError(TimeoutException.class)
                    .verify(TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == 0);

            // Subscribing again re-registers the channel and works.
            StepVerifier.create(engine.subscriptions()
                            .subscribeCompletions(SubscribeRequest.builder().namespace(namespace).build()))
                    .then(() -> await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == 1))
                    .then(() -> engine.operator().cancelExecution(running, null, null).block(TIMEOUT))
                    .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(running))
                    .thenCancel()
                    .verify(TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == 0);
        }
    }

    /**
     * Proves the engine's listener is LISTENing on the completion channel: a subscriber whose poll interval is 10 s
     * gets an event committed with a NOTIFY by another session well within that interval. A marker read first makes
     * sure the subscriber is parked, not in its first read, when the notified event commits.
     */
    private void assertWakesUp(PostgresEngine engine) {
        String namespace = unique("wake");
        EventCursor start = nowCursor(db);
        ExecutionId marker = insertCompletion(db, namespace, false);
        AtomicLong committedAt = new AtomicLong();
        ExecutionId[] notified = new ExecutionId[1];
        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .namespace(namespace).pollInterval(Duration.ofSeconds(10)).build()))
                .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(marker))
                .then(() -> {
                    notified[0] = insertCompletion(db, namespace, true);
                    committedAt.set(System.nanoTime());
                })
                .assertNext(e -> {
                    assertThat(e.payload().executionId()).isEqualTo(notified[0]);
                    assertThat(Duration.ofNanos(System.nanoTime() - committedAt.get()))
                            .as("woken by NOTIFY (the poll interval is 10 s)").isLessThan(Duration.ofMillis(1500));
                })
                .thenCancel()
                .verify(TIMEOUT);
    }
}
