package io.flowfabric.postgres.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.test.StepVerifier;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriptionSmokeTest {

    private PostgresEngine engine;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("SB-01 a completion from now arrives with its outcome and a 17-byte cursor")
    void completionArrives() {
        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow()).take(1))
                .then(() -> {
                    engine.executions().createExecution(CreateExecution.builder("sb01").build()).block();
                    ClaimedExecution c = engine.workers()
                            .claim(ClaimRequest.builder("w", "w-1").lane("sb01").build()).block();
                    engine.workers().complete(c.fence(), null, null).block();
                })
                .assertNext(event -> {
                    assertThat(event.payload().outcome()).isEqualTo(TerminalOutcome.SUCCESS);
                    assertThat(event.cursor().encode()).hasSize(17);
                })
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }
}
