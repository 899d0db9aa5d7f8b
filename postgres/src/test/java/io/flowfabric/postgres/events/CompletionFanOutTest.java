package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.TerminalOutcome;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompletionFanOutTest {

    private static final int EVENTS = 10_000;
    private static final int ENGINE_PRODUCERS = 2;
    private static final int JDBC_PRODUCERS = 6;
    private static final int ENGINE_EVENTS = 1_000;
    private static final int SUBSCRIBERS = 3;

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
    @DisplayName("SB-01 [RACE] fan-out: 10,000 completions from 8 concurrent producers (2 engine, 6 JDBC) reach 3 live subscribers in strictly increasing cursor order, none missing or duplicated")
    void fanOut() throws Exception {
        String namespace = unique("fan");
        String lane = unique("fan");
        List<List<CompletionEvent>> received = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Disposable> subscriptions = new ArrayList<>();
        for (int i = 0; i < SUBSCRIBERS; i++) {
            List<CompletionEvent> events = Collections.synchronizedList(new ArrayList<>());
            received.add(events);
            subscriptions.add(engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow())
                    .subscribe(events::add, failure::set));
        }
        try {
            // A marker proves every subscriber is positioned and live before the burst starts.
            ExecutionId marker = createAndCancel(engine, namespace, lane).block(EventTestSupport.TIMEOUT);
            await().atMost(Duration.ofSeconds(20)).until(() -> received.stream()
                    .allMatch(events -> ids(events).contains(marker)));

            // 8 producers at once: 2 through the engine, 6 committing single-event transactions over JDBC (the
            // cheap way to get thousands of racing commits whose transaction ids and commit order differ).
            CompletableFuture<List<ExecutionId>> viaEngine = Flux.range(0, ENGINE_EVENTS)
                    .flatMap(i -> createAndCancel(engine, namespace, lane), ENGINE_PRODUCERS)
                    .collectList()
                    .toFuture();
            ExecutorService jdbcPool = Executors.newFixedThreadPool(JDBC_PRODUCERS);
            List<CompletableFuture<List<ExecutionId>>> viaJdbc = new ArrayList<>();
            try {
                for (int p = 0; p < JDBC_PRODUCERS; p++) {
                    viaJdbc.add(CompletableFuture.supplyAsync(
                            () -> EventTestSupport.commitCompletionsOneByOne(db, namespace,
                                    (EVENTS - ENGINE_EVENTS) / JDBC_PRODUCERS), jdbcPool));
                }
                CompletableFuture.allOf(viaJdbc.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
            } finally {
                jdbcPool.shutdown();
            }
            List<ExecutionId> produced = new ArrayList<>(viaEngine.get(90, TimeUnit.SECONDS));
            viaJdbc.forEach(f -> produced.addAll(f.join()));
            assertThat(produced).hasSize(EVENTS).doesNotHaveDuplicates();

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> received.stream().allMatch(events -> events.size() >= EVENTS + 1));
            assertThat(failure.get()).as("subscription error").isNull();

            Set<ExecutionId> expected = new HashSet<>(produced);
            expected.add(marker);
            Set<ExecutionId> stored = new HashSet<>();
            db.queryRows("SELECT partition_key, execution_id FROM flowfabric.ff_completion_event WHERE namespace = ?",
                    namespace).forEach(row -> stored.add(ExecutionId.of(((Number) row.get("partition_key")).intValue(),
                    (UUID) row.get("execution_id"))));
            assertThat(stored).isEqualTo(expected);

            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<CompletionEvent> events;
                synchronized (received.get(s)) {
                    events = new ArrayList<>(received.get(s));
                }
                assertThat(events).as("subscriber %d: events", s).hasSize(EVENTS + 1);
                assertThat(ids(events)).as("subscriber %d: distinct execution ids", s).hasSize(EVENTS + 1)
                        .isEqualTo(expected);
                for (int i = 1; i < events.size(); i++) {
                    assertThat(events.get(i).cursor()).as("subscriber %d: cursor %d after %d", s, i, i - 1)
                            .isGreaterThan(events.get(i - 1).cursor());
                }
                assertThat(events.stream().filter(e -> e.payload().outcome() == TerminalOutcome.CANCELLED))
                        .as("subscriber %d: events written by the engine", s).hasSize(ENGINE_EVENTS + 1);
                assertThat(events).allSatisfy(e -> {
                    assertThat(e.payload().namespace()).isEqualTo(namespace);
                    assertThat(e.eventId()).isEqualTo(e.cursor().eventId());
                    assertThat(e.gap()).isFalse();
                });
            }
        } finally {
            subscriptions.forEach(Disposable::dispose);
        }
    }

    private static Set<ExecutionId> ids(List<CompletionEvent> events) {
        synchronized (events) {
            Set<ExecutionId> ids = new HashSet<>();
            events.forEach(e -> ids.add(e.payload().executionId()));
            return ids;
        }
    }
}
