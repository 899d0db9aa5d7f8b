package io.flowfabric.postgres;

import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Builds started engines on a test database for integration tests: the engine sees the test clock, and its pool is
 * sized for concurrent tests. Close what you build (the engines are {@link AutoCloseable}).
 */
public final class EngineFixture {

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
}
