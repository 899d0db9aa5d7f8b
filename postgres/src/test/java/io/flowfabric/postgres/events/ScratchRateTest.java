package io.flowfabric.postgres.events;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

@FlowFabricPostgres
class ScratchRateTest {
    @Test
    void rate(TestDatabase db, TestClock clock) {
        try (PostgresEngine engine = EngineFixture.start(db, clock)) {
            for (int conc : new int[] {4, 8, 16}) {
                long t0 = System.nanoTime();
                List<ExecutionId> ids = Flux.range(0, 2000).flatMap(i -> EventTestSupport.create(engine, "ns", "lane"), conc)
                        .collectList().block(Duration.ofSeconds(120));
                long t1 = System.nanoTime();
                Flux.fromIterable(ids).flatMap(id -> engine.operator().cancelExecution(id, null, null), conc)
                        .then().block(Duration.ofSeconds(120));
                long t2 = System.nanoTime();
                System.out.printf("conc %d: create %d ms, cancel %d ms%n", conc, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
            }
        }
    }
}
