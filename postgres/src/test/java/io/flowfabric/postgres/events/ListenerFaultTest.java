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
import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
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
    @DisplayName("SB-06 [FAULT] the listener backend is terminated mid-burst: the subscription does not error, the listener reconnects, and all 2,000 events (engine and another session) are delivered once, in order")
    void listenerKilledMidBurst() {
        String app = unique("sb06");
        String namespace = unique("sb06");
        String lane = unique("sb06");
        int viaEngine = 400;
        int viaJdbc = 1_600;
        int total = viaEngine + viaJdbc;
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
                // Two producers at once: the engine (create, then cancel) and another session committing one
                // event per transaction with its NOTIFY.
                CompletableFuture<List<ExecutionId>> engineBurst = Flux.range(0, viaEngine)
                        .flatMap(i -> createAndCancel(engine, namespace, lane), 2)
                        .collectList()
                        .toFuture();
                CompletableFuture<List<ExecutionId>> jdbcBurst = CompletableFuture.supplyAsync(
                        () -> EventTestSupport.commitCompletionsOneByOne(db, namespace, viaJdbc));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> received.size() >= 300 || (engineBurst.isDone() && jdbcBurst.isDone()));
                assertThat(engineBurst.isDone() && jdbcBurst.isDone())
                        .as("the burst is still running when the listener is cut").isFalse();

                assertThat(db.terminateBackends(app + "-listener")).as("listener backends terminated").isEqualTo(1);

                List<ExecutionId> produced = new ArrayList<>(engineBurst.join());
                produced.addAll(jdbcBurst.join());
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

            // Written over plain JDBC without NOTIFY, so only a read at the poll interval can find them. The marker
            // is found by the first read; the next one only by a later, polled read.
            EventCursor start = nowCursor(db);
            ExecutionId marker = insertCompletion(db, namespace, false);
            ExecutionId polled = EventTestSupport.randomId();
            AtomicLong insertedAt = new AtomicLong();
            StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder()
                                    .cursor(start).namespace(namespace)
                                    .pollInterval(Duration.ofMillis(300)).build()))
                    .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(marker))
                    .then(() -> {
                        insertedAt.set(System.nanoTime());
                        insertCompletion(db, namespace, polled, false);
                    })
                    .assertNext(e -> {
                        assertThat(e.payload().executionId()).isEqualTo(polled);
                        assertThat(Duration.ofNanos(System.nanoTime() - insertedAt.get()))
                                .as("delivery without NOTIFY, poll interval 300 ms")
                                .isLessThan(Duration.ofSeconds(2));
                    })
                    .then(() -> createAndCancel(engine, namespace, lane).block(TIMEOUT))
                    .assertNext(e -> assertThat(e.payload().outcome()).isEqualTo(TerminalOutcome.CANCELLED))
                    .thenCancel()
                    .verify(TIMEOUT);

            // A blocking claim finds work created while it is parked (claim poll interval 200 ms).
            ClaimRequest claim = ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(10)).build();
            ExecutionId createdId = EventTestSupport.randomId();
            StepVerifier.create(engine.workers().claim(claim))
                    .then(() -> Mono.delay(Duration.ofMillis(300))
                            .then(engine.executions().createExecution(CreateExecution.builder(lane)
                                    .namespace(namespace).executionId(createdId).build()))
                            .block(TIMEOUT))
                    .assertNext(c -> assertThat(c.executionId()).isEqualTo(createdId))
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
    @DisplayName("SB-06 [FAULT] the listener is terminated three times in a row with events committed during each outage: all are delivered, the subscription never errors, reconnects are counted")
    void listenerKilledRepeatedly() {
        String app = unique("sb06r");
        String namespace = unique("sb06r");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, app)) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            List<CompletionEvent> received = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Disposable subscription = engine.subscriptions()
                    .subscribeCompletions(SubscribeRequest.builder().cursor(nowCursor(db)).namespace(namespace)
                            .pollInterval(Duration.ofMillis(300)).build())
                    .subscribe(received::add, failure::set);
            try {
                Set<ExecutionId> written = new HashSet<>();
                for (int round = 1; round <= 3; round++) {
                    long reconnects = engine.listenerReconnects();
                    await().atMost(Duration.ofSeconds(30)).until(engine::listenerConnected);
                    assertThat(db.terminateBackends(app + "-listener")).isEqualTo(1);
                    for (int i = 0; i < 5; i++) {
                        written.add(insertCompletion(db, namespace, true));
                    }
                    await().atMost(Duration.ofSeconds(30)).until(() -> engine.listenerReconnects() > reconnects);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= written.size());
                assertThat(failure.get()).isNull();
                synchronized (received) {
                    assertThat(received).extracting(e -> e.payload().executionId())
                            .containsExactlyInAnyOrderElementsOf(written);
                }
                assertThat(engine.listenerReconnects()).isGreaterThanOrEqualTo(3);
            } finally {
                subscription.dispose();
            }
        }
    }

    @Test
    @DisplayName("SB-06 [FAULT] the engine's pooled connections are terminated three times under a live subscription: it keeps delivering every event, without an error")
    void pooledConnectionsKilled() {
        String app = unique("sb06p");
        String namespace = unique("sb06p");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, app)) {
            List<CompletionEvent> received = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Disposable subscription = engine.subscriptions()
                    .subscribeCompletions(SubscribeRequest.builder().cursor(nowCursor(db)).namespace(namespace)
                            .pollInterval(Duration.ofMillis(200)).build())
                    .subscribe(received::add, failure::set);
            try {
                Set<ExecutionId> written = new HashSet<>();
                written.add(insertCompletion(db, namespace, true));
                await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= 1);
                for (int round = 0; round < 3; round++) {
                    // An engine read first, so the pool holds a live connection to kill whatever else ran since
                    // (retried: it may first draw a connection the previous round killed, and fail retryably).
                    engine.executions().readExecutionState(ExecutionId.standalone()).retry(5).block(TIMEOUT);
                    // Only the pool's connections: the listener's are named <app>-listener.
                    assertThat(db.terminateBackends(app)).as("pooled backends terminated").isPositive();
                    for (int i = 0; i < 5; i++) {
                        written.add(insertCompletion(db, namespace, true));
                    }
                }
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> received.size() >= written.size() || failure.get() != null);
                assertThat(failure.get()).as("subscription error").isNull();
                synchronized (received) {
                    assertThat(received).extracting(e -> e.payload().executionId())
                            .containsExactlyInAnyOrderElementsOf(written);
                }
                // The engine itself works again too.
                assertThat(createAndCancel(engine, namespace, unique("after")).block(TIMEOUT)).isNotNull();
            } finally {
                subscription.dispose();
            }
        }
    }

    @Test
    @DisplayName("SB-06 stopping the engine completes its live subscriptions (no error)")
    void engineStopCompletesSubscriptions() {
        PostgresEngine engine = EventTestSupport.engine(db, clock, unique("stop"));
        try {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            int baseline = engine.listenerChannels();
            StepVerifier.create(Flux.merge(
                            engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow()),
                            engine.subscriptions().subscribeLeaseHistory(SubscribeRequest.fromNow())))
                    // Two channels more: completion and lease (the engine itself listens on neither).
                    .then(() -> await().atMost(Duration.ofSeconds(10))
                            .until(() -> engine.listenerChannels() == baseline + 2))
                    .then(() -> engine.stop(Duration.ofSeconds(5)).block(TIMEOUT))
                    .expectComplete()
                    .verify(TIMEOUT);
            assertThat(engine.listenerConnected()).isFalse();
        } finally {
            engine.close();
        }
    }

    @Test
    @DisplayName("Shutdown: a subscription started after the engine stopped fails at once with Unavailable(SHUTTING_DOWN), not after the 5 s arm fallback")
    void subscribeAfterStopFailsAtOnce() {
        PostgresEngine engine = EventTestSupport.engine(db, clock, unique("stopped"));
        try {
            engine.stop(Duration.ofSeconds(5)).block(TIMEOUT);
            Duration took = StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow()))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(UnavailableException.class,
                            u -> assertThat(u.kind()).isEqualTo(UnavailableException.Kind.SHUTTING_DOWN)))
                    .verify(TIMEOUT);
            assertThat(took).as("a stopped engine has nothing to wait for").isLessThan(Duration.ofSeconds(2));
        } finally {
            engine.close();
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
            int baseline = worker.listenerChannels();
            AtomicLong createdAt = new AtomicLong();
            AtomicLong claimedAt = new AtomicLong();
            Mono<ClaimedExecution> claim = worker.workers()
                    .claim(ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(5)).build())
                    .doOnNext(c -> claimedAt.set(System.nanoTime()));
            // The clock starts before the create, so the measured interval is an upper bound.
            Mono<ExecutionId> later = Mono.delay(Duration.ofMillis(300))
                    .doOnNext(tick -> createdAt.set(System.nanoTime()))
                    .then(create(creator, namespace, lane));

            var both = Mono.zip(claim, later).block(TIMEOUT);

            assertThat(both).isNotNull();
            assertThat(both.getT1().executionId()).isEqualTo(both.getT2());
            assertThat(Duration.ofNanos(claimedAt.get() - createdAt.get()))
                    .as("claim returned soon after the create (a poll would take 5 s)")
                    .isLessThan(Duration.ofMillis(1500));
            await().atMost(Duration.ofSeconds(10)).until(() -> worker.listenerChannels() == baseline);
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
            int baseline = engine.listenerChannels();
            AtomicLong claimedAt = new AtomicLong();
            CompletableFuture<ClaimedExecution> claim = engine.workers()
                    .claim(ClaimRequest.builder("w", "w-1").lane(lane).maxWait(Duration.ofSeconds(20)).build())
                    .doOnNext(c -> claimedAt.set(System.nanoTime()))
                    .toFuture();
            // The claim registered its lane's ready channel: it is parked.
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline + 1);

            assertThat(db.terminateBackends(app + "-listener")).as("listener backends terminated").isEqualTo(1);
            long createdAt = System.nanoTime();
            ExecutionId id = create(engine, namespace, lane).block(TIMEOUT);

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
    @DisplayName("SB-12 subscriptions, claims and awaitOutcome register channels by reference count: three lease subscriptions add one channel, cancelling all removes it; the gauge returns to the engine's own baseline; later writes do not block")
    void channelsAreReferenceCounted() {
        String namespace = unique("sb12");
        String lane = unique("sb12");
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("sb12"))) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            // The engine's own background waiters (e.g. the completion dispatcher) hold channels for its lifetime.
            int baseline = engine.listenerChannels();

            List<List<LeaseEvent>> received = new ArrayList<>();
            List<Disposable> subscriptions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<LeaseEvent> events = Collections.synchronizedList(new ArrayList<>());
                received.add(events);
                subscriptions.add(engine.subscriptions()
                        .subscribeLeaseHistory(SubscribeRequest.builder().namespace(namespace).build())
                        .subscribe(events::add));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline + 1);
            ExecutionId marker = create(engine, namespace, lane).block(TIMEOUT);
            assertThat(engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane).build()).block(TIMEOUT))
                    .isNotNull();
            await().atMost(Duration.ofSeconds(10)).until(() -> received.stream()
                    .allMatch(events -> events.stream().anyMatch(e -> e.executionId().equals(marker))));
            assertThat(engine.listenerChannels()).as("one lease channel for three subscribers")
                    .isEqualTo(baseline + 1);

            subscriptions.get(0).dispose();
            subscriptions.get(1).dispose();
            assertThat(engine.listenerChannels()).as("still one subscriber").isEqualTo(baseline + 1);
            subscriptions.get(2).dispose();
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline);

            // Completion subscriptions come and go without leaving anything behind.
            List<Disposable> completionSubscriptions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                completionSubscriptions.add(engine.subscriptions()
                        .subscribeCompletions(SubscribeRequest.builder().namespace(namespace).build()).subscribe());
            }
            completionSubscriptions.forEach(Disposable::dispose);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline);

            // Later writes, engine and plain SQL with NOTIFY, do not block on anything the subscriptions left.
            assertThat(createAndCancel(engine, namespace, lane).block(Duration.ofSeconds(10))).isNotNull();
            insertCompletion(db, namespace, true);

            // A waiting claim holds its lane's ready channel only while it waits; awaitOutcome releases its own.
            String emptyLane = unique("empty");
            StepVerifier.create(engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(emptyLane)
                            .maxWait(Duration.ofSeconds(20)).build()))
                    .then(() -> await().atMost(Duration.ofSeconds(10))
                            .until(() -> engine.listenerChannels() == baseline + 1))
                    .then(() -> create(engine, namespace, emptyLane).block(TIMEOUT))
                    .expectNextCount(1)
                    .expectComplete()
                    .verify(TIMEOUT);
            ExecutionId running = create(engine, namespace, lane).block(TIMEOUT);
            StepVerifier.create(engine.subscriptions().awaitOutcome(running, Duration.ofMillis(100)))
                    .expectError(TimeoutException.class)
                    .verify(TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline);

            // Subscribing again re-registers the lease channel and works.
            StepVerifier.create(engine.subscriptions()
                            .subscribeLeaseHistory(SubscribeRequest.builder().namespace(namespace).build()))
                    .then(() -> await().atMost(Duration.ofSeconds(10))
                            .until(() -> engine.listenerChannels() == baseline + 1))
                    .then(() -> engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane).build())
                            .block(TIMEOUT))
                    .assertNext(e -> assertThat(e.executionId()).isEqualTo(running))
                    .thenCancel()
                    .verify(TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baseline);
        }
    }

    @Test
    @DisplayName("SB-12 [RACE] a subscription cancelled while its LISTEN is in flight leaves no LISTEN behind: a later NOTIFY on that channel reaches nobody")
    void cancelDuringListenLeavesNothing() throws SQLException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PostgresEngine engine = EventTestSupport.engine(db, clock, unique("sb12r"),
                b -> b.meterRegistry(registry));
             Connection notifier = db.openConnection()) {
            await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
            int baseline = engine.listenerChannels();
            notifier.setAutoCommit(false);
            for (int round = 0; round < 100; round++) {
                Disposable subscription = engine.subscriptions()
                        .subscribeLeaseHistory(SubscribeRequest.fromNow()).subscribe();
                // Cancel somewhere between "LISTEN sent" and "LISTEN acknowledged", eventually.
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_500_000));
                subscription.dispose();
                // The listener runs its statements one at a time: once a blocking claim on a fresh lane was armed
                // (its LISTEN ran), every LISTEN/UNLISTEN queued before it has run too.
                StepVerifier.create(engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(unique("sync"))
                                .maxWait(Duration.ofMillis(1)).build()))
                        .expectComplete()
                        .verify(TIMEOUT);
                assertThat(engine.listenerChannels()).isEqualTo(baseline);

                // Notifications of one transaction arrive in order: once the flow-completion one (a channel the
                // engine always listens on) was counted, the lease one would have been counted before it.
                double lease = notifications(registry, "lease");
                double flowDone = notifications(registry, "flowdone");
                EventTestSupport.notify(notifier, EventTestSupport.LEASE_CHANNEL);
                EventTestSupport.notify(notifier, EventTestSupport.FLOW_COMPLETION_CHANNEL);
                notifier.commit();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> notifications(registry, "flowdone") > flowDone);
                assertThat(notifications(registry, "lease"))
                        .as("round %d: lease notifications received after every lease waiter was gone", round)
                        .isEqualTo(lease);
            }
        }
    }

    private static double notifications(SimpleMeterRegistry registry, String channelClass) {
        Counter counter = registry.find("flowfabric.listener.notifications").tag("channel.class", channelClass)
                .counter();
        return counter == null ? 0 : counter.count();
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
        ExecutionId notified = EventTestSupport.randomId();
        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .namespace(namespace).pollInterval(Duration.ofSeconds(10)).build()))
                .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(marker))
                .then(() -> {
                    committedAt.set(System.nanoTime());
                    insertCompletion(db, namespace, notified, true);
                })
                .assertNext(e -> {
                    assertThat(e.payload().executionId()).isEqualTo(notified);
                    assertThat(Duration.ofNanos(System.nanoTime() - committedAt.get()))
                            .as("woken by NOTIFY (the poll interval is 10 s)").isLessThan(Duration.ofMillis(1500));
                })
                .thenCancel()
                .verify(TIMEOUT);
    }
}
