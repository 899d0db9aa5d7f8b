package io.flowfabric.postgres.streams;

import static io.flowfabric.postgres.streams.StreamTestSupport.createAndClaim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Parked tails hold no pooled connection (spec 05 §6; acceptance ST-07). Each test has its own small engine. */
@FlowFabricPostgres
class ParkedTailsTest {

    /** Engine sessions of {@code appName} that are running a query or sitting in an open transaction. */
    private static long busySessions(TestDatabase db, String appName) {
        return db.queryLong("""
                SELECT count(*) FROM pg_stat_activity
                WHERE application_name = ? AND (state = 'active' OR state LIKE 'idle in transaction%')""", appName);
    }

    private static int acquired(PostgresEngine engine) {
        return ((ConnectionPool) engine.connectionFactory()).getMetrics().orElseThrow().acquiredSize();
    }

    private static Mono<StreamFrames> tail(StreamOperations streams, ExecutionId id, Duration block) {
        return streams.tailStream(id, 0, StreamCursor.at(FrameId.ZERO), block, 10, Visibility.ALL);
    }

    @Test
    @DisplayName("1 000 parked tails hold 0 pooled connections and no busy session; one append wakes them all")
    void thousandParkedTailsHoldNoConnection(TestDatabase db, TestClock clock) throws InterruptedException {
        String app = StreamTestSupport.unique("ff-parked");
        try (PostgresEngine engine = StreamTestSupport.engine(db, clock, app, b -> b.poolSize(1, 8))) {
            StreamOperations streams = StreamTestSupport.streams(engine);
            ClaimedExecution claim = createAndClaim(engine, null);
            ExecutionId id = claim.executionId();

            int channelsBefore = engine.listenerChannels();
            int tails = 1000;
            Mono<List<StreamFrames>> all = Flux.range(0, tails)
                    .flatMap(i -> tail(streams, id, Duration.ofSeconds(30)), tails)
                    .collectList()
                    .cache();
            all.subscribe();

            // Every tail has read once and parked: the pool is idle while they wait. The only database work left is
            // the engine's shared poll fallback, one short statement per second for all of them together.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline && (acquired(engine) != 0 || busySessions(db, app) != 0)) {
                Thread.sleep(100);
            }
            int idleSamples = 0;
            int samples = 20;
            for (int i = 0; i < samples; i++) {
                int acquiredNow = acquired(engine);
                long busyNow = busySessions(db, app);
                assertThat(acquiredNow).as("acquired pooled connections while 1 000 tails are parked")
                        .isLessThanOrEqualTo(1);
                assertThat(busyNow).as("active or idle-in-transaction engine sessions").isLessThanOrEqualTo(1);
                if (acquiredNow == 0 && busyNow == 0) {
                    idleSamples++;
                }
                Thread.sleep(50);
            }
            assertThat(idleSamples).as("samples with 0 acquired connections and no busy session")
                    .isGreaterThanOrEqualTo(samples - 2);
            assertThat(all.toFuture().isDone()).as("tails still parked").isFalse();
            assertThat(engine.listenerChannels()).as("one LISTEN for the 1 000 tails of one stream")
                    .isEqualTo(channelsBefore + 1);

            long t0 = System.nanoTime();
            streams.appendFrame(claim.fence(), AppendFrame.durableText("wake up")).block(Duration.ofSeconds(30));
            List<StreamFrames> results = all.block(Duration.ofSeconds(30));
            assertThat(results).hasSize(tails)
                    .allSatisfy(r -> assertThat(r.frames()).extracting(f -> f.utf8()).containsExactly("wake up"));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(15_000);
            await().atMost(Duration.ofSeconds(5)).until(() -> engine.listenerChannels() == channelsBefore);
        }
    }

    @Test
    @DisplayName("ST-07: with a pool of 4 and 8 parked tails an append succeeds promptly and every tail gets it")
    void smallPoolStillAppends(TestDatabase db, TestClock clock) {
        String app = StreamTestSupport.unique("ff-pool4");
        try (PostgresEngine engine = StreamTestSupport.engine(db, clock, app, b -> b.poolSize(1, 4)
                .poolMaxAcquireTime(Duration.ofSeconds(2)))) {
            StreamOperations streams = StreamTestSupport.streams(engine);
            ClaimedExecution claim = createAndClaim(engine, null);
            ExecutionId id = claim.executionId();
            Mono<List<StreamFrames>> tails = Flux.range(0, 8)
                    .flatMap(i -> tail(streams, id, Duration.ofSeconds(10)))
                    .collectList()
                    .cache();
            tails.subscribe();
            Mono.delay(Duration.ofMillis(500)).block();

            long t0 = System.nanoTime();
            streams.appendFrame(claim.fence(), AppendFrame.durableText("through the pool")).block(Duration.ofSeconds(30));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
            List<StreamFrames> results = tails.block(Duration.ofSeconds(5));
            assertThat(results).hasSize(8).allSatisfy(r -> assertThat(r.frames()).hasSize(1));
        }
    }

    @Test
    @DisplayName("stopping the engine ends parked tails and follows with SHUTTING_DOWN")
    void stopEndsParkedWaiters(TestDatabase db, TestClock clock) {
        String app = StreamTestSupport.unique("ff-stop");
        PostgresEngine engine = StreamTestSupport.engine(db, clock, app, b -> { });
        try {
            StreamOperations streams = StreamTestSupport.streams(engine);
            ClaimedExecution claim = createAndClaim(engine, null);
            ExecutionId id = claim.executionId();
            Mono<StreamFrames> parkedTail = tail(streams, id, Duration.ofMinutes(1)).cache();
            Mono<List<io.flowfabric.core.streams.StreamFrame>> parkedFollow = streams
                    .followStream(id, 0, StreamCursor.START, Visibility.ALL).collectList().cache();
            parkedTail.subscribe(v -> { }, e -> { });
            parkedFollow.subscribe(v -> { }, e -> { });
            Mono.delay(Duration.ofMillis(500)).block();

            long t0 = System.nanoTime();
            engine.stop(Duration.ofSeconds(5)).block(Duration.ofSeconds(30));
            for (Mono<?> waiter : List.of(parkedTail, parkedFollow)) {
                Throwable error = org.assertj.core.api.Assertions.catchThrowable(
                        () -> waiter.block(Duration.ofSeconds(10)));
                assertThat(error).isInstanceOfSatisfying(io.flowfabric.core.error.UnavailableException.class,
                        u -> assertThat(u.kind())
                                .isEqualTo(io.flowfabric.core.error.UnavailableException.Kind.SHUTTING_DOWN));
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
        } finally {
            engine.close();
        }
    }
}
