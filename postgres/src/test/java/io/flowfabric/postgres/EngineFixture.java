package io.flowfabric.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * Builds started engines on a test database for integration tests: the engine sees the test clock, and its pool is
 * sized for concurrent tests. Close what you build (the engines are {@link AutoCloseable}). Also the few helpers every
 * test package uses: unique lane names, a bounded wait, and a create that must create.
 */
public final class EngineFixture {

    /** How long a test waits for one engine call. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private EngineFixture() {
    }

    /** A started engine in schema {@code flowfabric} of {@code db}, shifted by {@code clock}. */
    public static PostgresEngine start(TestDatabase db, TestClock clock) {
        return start(db, clock, b -> { });
    }

    /** A started engine with extra builder settings applied last. */
    public static PostgresEngine start(TestDatabase db, TestClock clock, Consumer<PostgresEngine.Builder> customizer) {
        PostgresEngine.Builder builder = PostgresEngine.builder()
                .url(db.r2dbcUrl())
                .poolSize(2, 24)
                .claimPollInterval(Duration.ofMillis(200))
                .backgroundReconcilers(false)
                .testClockOffset(clock);
        customizer.accept(builder);
        PostgresEngine engine = builder.build();
        engine.start().block(Duration.ofSeconds(60));
        return engine;
    }

    /** A lane name no other test uses, so tests sharing a database never see each other's executions. */
    public static String lane(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The value of {@code mono}, waiting at most {@link #TIMEOUT}. */
    public static <T> T await(Mono<T> mono) {
        return mono.block(TIMEOUT);
    }

    /** Creates an execution and returns its id, asserting it was created (not a duplicate). */
    public static ExecutionId create(FlowFabric engine, CreateExecution request) {
        CreateResult result = await(engine.executions().createExecution(request));
        assertThat(result).isInstanceOf(CreateResult.Created.class);
        return result.executionId();
    }

    /** Creates a ready execution in {@code lane} and returns its id. */
    public static ExecutionId create(FlowFabric engine, String lane) {
        return create(engine, CreateExecution.builder(lane).build());
    }
}
