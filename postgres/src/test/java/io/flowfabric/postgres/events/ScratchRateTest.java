package io.flowfabric.postgres.events;

import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

@FlowFabricPostgres
class ScratchRateTest {
    @Test
    void rate(TestDatabase db, TestClock clock) {
        try (PostgresEngine engine = EngineFixture.start(db, clock)) {
            var start = EventTestSupport.nowCursor(db);
            StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .namespace("ns").batchSize(10).pollInterval(Duration.ofMillis(200)).build())
                        .doOnRequest(n -> System.out.println("REQ " + n))
                        .doOnNext(e -> System.out.println("NEXT " + e.eventId())), 0)
                .expectSubscription()
                .then(() -> Flux.range(0, 30).concatMap(i -> EventTestSupport.createAndCancel(engine, "ns", "lane")).blockLast())
                .expectNoEvent(Duration.ofSeconds(1))
                .thenRequest(5)
                .expectNextCount(5)
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(25)
                .expectNextCount(25)
                .thenCancel()
                .verify(Duration.ofSeconds(20));
        }
    }
}
