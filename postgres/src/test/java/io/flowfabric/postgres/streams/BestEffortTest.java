package io.flowfabric.postgres.streams;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.streams.StreamTestSupport.createAndClaim;
import static io.flowfabric.postgres.streams.StreamTestSupport.frames;
import static io.flowfabric.postgres.streams.StreamTestSupport.meta;
import static io.flowfabric.postgres.streams.StreamTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.AppendOutcome;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.FrameMode;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BestEffortTest {

    private PostgresEngine engine;
    private StreamOperations streams;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = StreamTestSupport.engine(db, clock, "ff-stream-best-effort", b -> { });
        streams = StreamTestSupport.streams(engine);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private static AppendFrame live(int i, int ceiling) {
        return AppendFrame.builder(FrameMode.BEST_EFFORT, ("tok" + i).getBytes(StandardCharsets.UTF_8))
                .encoding("utf8").maxlen(64, ceiling).build();
    }

    @Test
    @DisplayName("ST-03: 100 rapid best-effort appends with ceiling 64 keep 64..80 frames; ema > 0; counters exact")
    void trimKeepsBetweenKAndSlack() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        long lastCount = 0;
        for (int i = 0; i < 100; i++) {
            AppendOutcome outcome = await(streams.appendFrame(claim.fence(), live(i, 64)));
            lastCount = outcome.frameCount();
            assertThat(outcome.frameCount()).as("after append %d", i).isLessThanOrEqualTo(80);
        }
        long retained = frames(db, id, 0, "best_effort");
        assertThat(retained).isBetween(64L, 80L);
        Map<String, @Nullable Object> meta = meta(db, id, 0);
        assertThat((Double) meta.get("ema_rate_hz")).isGreaterThan(0.0);
        assertThat(meta.get("frame_count")).isEqualTo(retained);
        assertThat(meta.get("best_effort_count")).isEqualTo(retained);
        assertThat(meta.get("maxlen_applied")).isEqualTo(64);
        assertThat(meta.get("next_seq")).isEqualTo(101L);
        assertThat(lastCount).isEqualTo(retained);
        // The newest frames survive, in order, without gaps.
        List<Long> seqs = readAll(streams, id, 0).frames().stream().map(f -> f.id().seq()).toList();
        assertThat(seqs).hasSize((int) retained);
        assertThat(seqs.get(seqs.size() - 1)).isEqualTo(100L);
        assertThat(seqs.get(seqs.size() - 1) - seqs.get(0) + 1).isEqualTo(retained);
    }

    @Test
    @DisplayName("ST-04: the trim deletes only best-effort frames; a tail excluding best effort returns the 2 durables")
    void trimNeverDeletesDurableFrames() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        await(streams.appendFrame(claim.fence(), AppendFrame.durableText("first")));
        for (int batch = 0; batch < 4; batch++) {
            List<AppendFrame> fifty = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                fifty.add(live(batch * 50 + i, 64));
            }
            await(streams.appendFrames(claim.fence(), fifty));
        }
        await(streams.appendFrame(claim.fence(), AppendFrame.summary("{\"done\":true}")));
        await(streams.appendFrame(claim.fence(), AppendFrame.durableText("last")));

        assertThat(frames(db, id, 0, "durable")).isEqualTo(2);
        assertThat(frames(db, id, 0, "summary")).isEqualTo(1);
        long bestEffort = frames(db, id, 0, "best_effort");
        assertThat(bestEffort).isBetween(64L, 80L);
        assertThat(meta(db, id, 0).get("frame_count")).isEqualTo(3 + bestEffort);

        StreamFrames tail = await(streams.tailStream(id, 0, StreamCursor.at(FrameId.ZERO), Duration.ZERO, 1000,
                Visibility.EXCLUDE_BEST_EFFORT));
        assertThat(tail.frames()).extracting(StreamFrame::mode)
                .containsExactly(FrameMode.DURABLE, FrameMode.SUMMARY, FrameMode.DURABLE);
        assertThat(tail.frames().get(0).utf8()).isEqualTo("first");
        assertThat(tail.frames().get(2).utf8()).isEqualTo("last");
        assertThat(readAll(streams, id, 0).frames()).hasSize((int) (3 + bestEffort));
    }

    @Test
    @DisplayName("the rate estimate raises K: a slow stream keeps the floor, K grows with the rate up to the ceiling")
    void lengthFollowsRate() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        // One frame per simulated second (plus real time) with a 10 s TTL: with alpha 1 the rate is 1000 / dt <= 1 Hz,
        // so K = ceil(rate * 10) * 2 <= 20 and the floor of 64 applies.
        AppendOutcome previous = null;
        AppendOutcome latest = null;
        for (int i = 0; i < 5; i++) {
            previous = latest;
            latest = await(streams.appendFrame(claim.fence(), AppendFrame.builder(FrameMode.BEST_EFFORT,
                    new byte[] {1}).ttl(Duration.ofSeconds(10)).emaAlpha(1.0).build()));
            clock.advance(Duration.ofSeconds(1));
        }
        long slowDt = latest.frameId().tsMs() - previous.frameId().tsMs();
        assertThat(slowDt).isGreaterThanOrEqualTo(1000);
        Map<String, @Nullable Object> slow = meta(db, id, 0);
        assertThat((Double) slow.get("ema_rate_hz"))
                .isCloseTo(1000.0 / slowDt, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(slow.get("maxlen_applied")).isEqualTo(64);
        // Two frames close together: alpha 1 makes ema the instant rate 1000 / dt, and K = ceil(ema * 10) * 2.
        AppendOutcome a = await(streams.appendFrame(claim.fence(), AppendFrame.builder(FrameMode.BEST_EFFORT,
                new byte[] {1}).ttl(Duration.ofSeconds(10)).emaAlpha(1.0).build()));
        clock.advance(Duration.ofMillis(10));
        AppendOutcome b = await(streams.appendFrame(claim.fence(), AppendFrame.builder(FrameMode.BEST_EFFORT,
                new byte[] {1}).ttl(Duration.ofSeconds(10)).emaAlpha(1.0).build()));
        long dt = b.frameId().tsMs() - a.frameId().tsMs();
        assertThat(dt).isGreaterThanOrEqualTo(10);
        double rate = 1000.0 / dt;
        Map<String, @Nullable Object> fast = meta(db, id, 0);
        assertThat((Double) fast.get("ema_rate_hz")).isCloseTo(rate, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(fast.get("maxlen_applied")).isEqualTo((int) Math.max(64, Math.ceil(rate * 10) * 2));
        assertThat((Integer) fast.get("maxlen_applied")).isGreaterThan(64);
    }

    @Test
    @DisplayName("ST-05: expired best-effort frames are hidden at once and deleted by stream_ttl with the counters")
    void ttlExpiry() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        await(streams.appendFrame(claim.fence(), AppendFrame.durableText("keep")));
        for (int i = 0; i < 5; i++) {
            await(streams.appendFrame(claim.fence(), AppendFrame.builder(FrameMode.BEST_EFFORT, new byte[] {(byte) i})
                    .ttl(Duration.ofSeconds(1)).build()));
        }
        await(streams.appendFrame(claim.fence(), AppendFrame.builder(FrameMode.BEST_EFFORT, new byte[] {9})
                .ttl(Duration.ofSeconds(60)).build()));
        assertThat(readAll(streams, id, 0).frames()).hasSize(7);

        clock.advance(Duration.ofSeconds(2));
        StreamFrames beforeTick = readAll(streams, id, 0);
        assertThat(beforeTick.frames()).extracting(StreamFrame::mode)
                .containsExactly(FrameMode.DURABLE, FrameMode.BEST_EFFORT);
        assertThat(beforeTick.frames().get(1).payload()).containsExactly(9);
        assertThat(frames(db, id, 0, "best_effort")).isEqualTo(6);

        TickReport tick = await(StreamTestSupport.tickTtl(engine));
        assertThat(tick.acted()).isGreaterThanOrEqualTo(5);
        assertThat(frames(db, id, 0, "best_effort")).isEqualTo(1);
        Map<String, @Nullable Object> meta = meta(db, id, 0);
        assertThat(meta.get("frame_count")).isEqualTo(2L);
        assertThat(meta.get("best_effort_count")).isEqualTo(1L);
        assertThat(readAll(streams, id, 0).frames()).hasSize(2);
        assertThat(await(StreamTestSupport.tickTtl(engine)).acted()).isZero();
    }
}
