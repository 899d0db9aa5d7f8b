package io.flowfabric.postgres.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowSmokeTest {

    private PostgresEngine engine;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    private ExecutionId member(FlowId flow, String lane, ExecutionId... upstreams) {
        CreateExecution.Builder b = CreateExecution.builder(lane).flowId(flow);
        for (ExecutionId u : upstreams) {
            b.dependsOn(u);
        }
        return engine.executions().createExecution(b.build()).block().executionId();
    }

    private PublicState state(ExecutionId id) {
        return engine.executions().readExecutionState(id).block().orElseThrow();
    }

    private ClaimedExecution claim(String lane) {
        return engine.workers().claim(ClaimRequest.builder("w", "w-1").lane(lane).build()).block();
    }

    @Test
    @DisplayName("a chain releases the downstream when the upstream completes")
    void chainReleasesDownstream() {
        String lane = "chain-" + UUID.randomUUID();
        FlowId flow = engine.flows().createFlow(CreateFlow.of("default", "chain")).block().flowId();
        ExecutionId a = member(flow, lane);
        ExecutionId b = member(flow, lane, a);
        assertThat(state(b)).isEqualTo(PublicState.WAITING_CHILDREN);

        ClaimedExecution ca = claim(lane);
        assertThat(ca.executionId()).isEqualTo(a);
        assertThat(claim(lane)).isNull();
        engine.workers().complete(ca.fence(), null, null).block();

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> state(b) == PublicState.WAITING);
        assertThat(claim(lane).executionId()).isEqualTo(b);
    }

    @Test
    @DisplayName("DG-10 a claim carries the upstream result copied through a data-passing edge, byte for byte")
    void claimCarriesDependencyInputs() {
        String lane = "data-" + UUID.randomUUID();
        FlowId flow = engine.flows().createFlow(CreateFlow.of("default", "data")).block().flowId();
        ExecutionId a = member(flow, lane);
        ExecutionId b = engine.executions().createExecution(CreateExecution.builder(lane).flowId(flow)
                .dependsOn(new io.flowfabric.core.flows.Dependency(a, "greeting")).build()).block().executionId();
        byte[] result = {0, (byte) 0xFF, 'h', 'i'};
        engine.workers().complete(claim(lane).fence(), result, "application/octet-stream").block();

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> state(b) == PublicState.WAITING);
        ClaimedExecution cb = claim(lane);
        assertThat(cb.executionId()).isEqualTo(b);
        assertThat(cb.dependencyInputs()).containsOnlyKeys("greeting");
        assertThat(cb.dependencyInputs().get("greeting").bytes()).containsExactly(result);
        assertThat(cb.dependencyInputs().get("greeting").encoding()).isEqualTo("application/octet-stream");
    }

    @Test
    @DisplayName("all_of with a failed upstream skips the downstream and the skip propagates")
    void allOfFailureSkipsDownstreamChain() {
        String lane = "skip-" + UUID.randomUUID();
        FlowId flow = engine.flows().createFlow(CreateFlow.of("default", "skip")).block().flowId();
        ExecutionId a = member(flow, lane);
        ExecutionId b = member(flow, lane, a);
        ExecutionId c = member(flow, lane, b);
        ClaimedExecution ca = claim(lane);
        engine.workers().fail(ca.fence(), FailureReason.of("boom"), FailureClass.PERMANENT).block();

        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> state(b) == PublicState.SKIPPED && state(c) == PublicState.SKIPPED);
    }
}
