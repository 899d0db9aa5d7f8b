package io.flowfabric.postgres.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The completion dispatcher is woken by flow members' completions only: a completion outside any flow has no edges,
 * so it must not cost the dispatcher a claim statement (background jobs are off here, so every dispatch run counted
 * below was triggered by a completion).
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DispatcherWakeTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PostgresEngine engine;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        engine = EngineFixture.start(db, clock, b -> b.meterRegistry(registry));
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    private long dispatchRuns() {
        return registry.find("flowfabric.operation").tag("unit", "dispatch_claim").timers().stream()
                .mapToLong(Timer::count).sum();
    }

    private ClaimedExecution claim(String lane) {
        return engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane).build()).block();
    }

    @Test
    @DisplayName("completions outside flows do not wake the dispatcher; a flow member's completion does")
    void onlyFlowCompletionsWakeTheDispatcher() throws InterruptedException {
        String lane = "standalone-" + UUID.randomUUID();
        // The dispatcher runs once when its channel is armed (and after any reconnect): let that pass first.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(engine::listenerConnected);
        Thread.sleep(500);
        long before = dispatchRuns();
        for (int i = 0; i < 5; i++) {
            engine.executions().createExecution(CreateExecution.builder(lane).build()).block();
            ClaimedExecution c = claim(lane);
            engine.workers().complete(c.fence(), null, null).block();
        }
        // A wake-up, had there been one, runs within milliseconds of the commit; give it ample time to show.
        Thread.sleep(500);
        assertThat(dispatchRuns()).as("dispatch runs after 5 standalone completions").isEqualTo(before);

        String flowLane = "flow-" + UUID.randomUUID();
        FlowId flow = engine.flows().createFlow(CreateFlow.of("default", "wake")).block().flowId();
        ExecutionId up = engine.executions().createExecution(CreateExecution.builder(flowLane).flowId(flow).build())
                .block().executionId();
        ExecutionId down = engine.executions().createExecution(CreateExecution.builder(flowLane).flowId(flow)
                .dependsOn(up).build()).block().executionId();
        ClaimedExecution c = claim(flowLane);
        assertThat(c.executionId()).isEqualTo(up);
        engine.workers().complete(c.fence(), null, null).block();

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> engine.executions().readExecutionState(down)
                .block().orElseThrow() == PublicState.WAITING);
        assertThat(dispatchRuns()).as("dispatch runs after a flow member completed").isGreaterThan(before);
    }
}
