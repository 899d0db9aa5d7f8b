package io.flowfabric.postgres.executions;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LifecycleSmokeTest {

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
    void createClaimCompleteDescribe(TestDatabase db) {
        CreateResult created = engine.executions()
                .createExecution(CreateExecution.builder("smoke").input("hello").build()).block();
        assertThat(created).isInstanceOf(CreateResult.Created.class);
        assertThat(created.publicState()).isEqualTo(PublicState.WAITING);

        ClaimedExecution claimed = engine.workers()
                .claim(ClaimRequest.builder("w", "w-1").lane("smoke").build()).block();
        assertThat(claimed).isNotNull();
        assertThat(claimed.executionId()).isEqualTo(created.executionId());
        assertThat(new String(claimed.input(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(claimed.leaseEpoch()).isEqualTo(1);

        engine.workers().complete(claimed.fence(), "done".getBytes(StandardCharsets.UTF_8), "text/plain").block();

        ExecutionSnapshot snapshot = engine.executions().describeExecution(created.executionId()).block().orElseThrow();
        assertThat(snapshot.publicState()).isEqualTo(PublicState.COMPLETED);
        assertThat(snapshot.counters().leaseEpoch()).isEqualTo(2);
        assertThat(engine.executions().getExecutionResult(created.executionId()).block().orElseThrow().utf8())
                .isEqualTo("done");
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event")).isEqualTo(1);
    }
}
