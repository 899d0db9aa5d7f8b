package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.claimRequest;
import static io.flowfabric.postgres.events.EventTestSupport.create;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwaitOutcomeTest {

    private PostgresEngine engine;
    private TestDatabase db;
    private int baselineChannels;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock);
        await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
        // The engine's own background waiters hold channels for its lifetime.
        baselineChannels = engine.listenerChannels();
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("SB-13 awaitOutcome on an execution completed 200 ms later emits success with its terminal time")
    void completedLater() {
        String lane = unique("sb13");
        ExecutionId id = create(engine, "default", lane).block(TIMEOUT);
        ClaimedExecution claimed = engine.workers().claim(claimRequest(lane, "w")).block(TIMEOUT);
        assertThat(claimed).isNotNull();

        StepVerifier.create(engine.subscriptions().awaitOutcome(id, Duration.ofSeconds(20)))
                .then(() -> Mono.delay(Duration.ofMillis(200))
                        .then(engine.workers().complete(claimed.fence(), null, null))
                        .subscribe())
                .assertNext(outcome -> {
                    assertThat(outcome.outcome()).isEqualTo(TerminalOutcome.SUCCESS);
                    assertThat(outcome.publicState()).isEqualTo(PublicState.COMPLETED);
                    assertThat(outcome.terminalAt()).isEqualTo(Instant.ofEpochMilli((Long) db.queryValue(
                            "SELECT terminal_at_ms FROM flowfabric.ff_exec_core WHERE partition_key = ?"
                                    + " AND execution_id = ?", id.partition(), id.uuid()).orElseThrow()));
                })
                .expectComplete()
                .verify(TIMEOUT);
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baselineChannels);
    }

    @Test
    @DisplayName("SB-13 awaitOutcome on a terminal execution returns at once: even a zero timeout emits its outcome")
    void alreadyTerminal() {
        String lane = unique("sb13b");
        ExecutionId id = create(engine, "default", lane).block(TIMEOUT);
        engine.operator().cancelExecution(id, null, null).block(TIMEOUT);

        StepVerifier.create(engine.subscriptions().awaitOutcome(id, Duration.ZERO))
                .assertNext(outcome -> {
                    assertThat(outcome.outcome()).isEqualTo(TerminalOutcome.CANCELLED);
                    assertThat(outcome.publicState()).isEqualTo(PublicState.CANCELLED);
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    @DisplayName("SB-13 awaitOutcome with a 100 ms timeout on a running execution fails with Timeout(await_outcome)")
    void timesOut() {
        String lane = unique("sb13c");
        ExecutionId id = create(engine, "default", lane).block(TIMEOUT);
        assertThat(engine.workers().claim(claimRequest(lane, "w")).block(TIMEOUT)).isNotNull();

        StepVerifier.create(engine.subscriptions().awaitOutcome(id, Duration.ofMillis(100)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TimeoutException.class);
                    TimeoutException timeout = (TimeoutException) e;
                    assertThat(timeout.operation()).isEqualTo("await_outcome");
                    assertThat(timeout.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(100));
                })
                .verify(TIMEOUT);

        // Zero timeout on a non-terminal execution: one read, then Timeout.
        StepVerifier.create(engine.subscriptions().awaitOutcome(id, Duration.ZERO))
                .expectError(TimeoutException.class)
                .verify(TIMEOUT);
    }

    @Test
    @DisplayName("SB-13 awaitOutcome on an unknown execution is NotFound(EXECUTION); a negative timeout is a validation error")
    void unknownAndInvalid() {
        StepVerifier.create(engine.subscriptions().awaitOutcome(ExecutionId.standalone(), Duration.ofSeconds(1)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(NotFoundException.class);
                    assertThat(((NotFoundException) e).entity()).isEqualTo(NotFoundException.Entity.EXECUTION);
                })
                .verify(TIMEOUT);
        ExecutionId id = create(engine, "default", unique("sb13d")).block(TIMEOUT);
        StepVerifier.create(engine.subscriptions().awaitOutcome(id, Duration.ofMillis(-1)))
                .expectError(ValidationException.class)
                .verify(TIMEOUT);
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.listenerChannels() == baselineChannels);
    }
}
