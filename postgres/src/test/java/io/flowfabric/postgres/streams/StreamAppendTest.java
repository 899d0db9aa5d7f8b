package io.flowfabric.postgres.streams;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.streams.StreamTestSupport.createAndClaim;
import static io.flowfabric.postgres.streams.StreamTestSupport.forged;
import static io.flowfabric.postgres.streams.StreamTestSupport.frames;
import static io.flowfabric.postgres.streams.StreamTestSupport.meta;
import static io.flowfabric.postgres.streams.StreamTestSupport.readAll;
import static io.flowfabric.postgres.streams.StreamTestSupport.streamTables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.AppendOutcome;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.FrameMode;
import io.flowfabric.core.streams.JsonMergePatch;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.SummaryDocument;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamAppendTest {

    private PostgresEngine engine;
    private StreamOperations streams;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = StreamTestSupport.engine(db, clock, "ff-stream-append", b -> { });
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

    private static <T extends Throwable> T failure(Mono<?> mono, Class<T> type) {
        return catchThrowableOfType(type, () -> mono.block(StreamTestSupport.TIMEOUT));
    }

    @Test
    @DisplayName("ST-01: two durable appends get <ts>-1 and <ts>-2; binary bytes 0..255 round-trip unchanged")
    void binaryRoundTrip() {
        ClaimedExecution claim = createAndClaim(engine, null);
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        AppendOutcome first = await(streams.appendFrame(claim.fence(), AppendFrame.durableText("héllo")));
        AppendOutcome second = await(streams.appendFrame(claim.fence(),
                AppendFrame.builder(FrameMode.DURABLE, all).frameType("chunk.bin").correlationId("corr-1").build()));

        assertThat(first.frameId().seq()).isEqualTo(1);
        assertThat(second.frameId().seq()).isEqualTo(2);
        assertThat(second.frameId().tsMs()).isGreaterThanOrEqualTo(first.frameId().tsMs());
        assertThat(first.frameCount()).isEqualTo(1);
        assertThat(second.frameCount()).isEqualTo(2);
        assertThat(first.summaryVersion()).isNull();

        StreamFrames read = readAll(streams, claim.executionId(), 0);
        assertThat(read.closed()).isFalse();
        assertThat(read.frames()).hasSize(2);
        StreamFrame text = read.frames().get(0);
        assertThat(text.id()).isEqualTo(first.frameId());
        assertThat(text.utf8()).isEqualTo("héllo");
        assertThat(text.encoding()).isEqualTo("utf8");
        assertThat(text.frameType()).isEqualTo("event");
        assertThat(text.mode()).isEqualTo(FrameMode.DURABLE);
        StreamFrame binary = read.frames().get(1);
        assertThat(binary.id()).isEqualTo(second.frameId());
        assertThat(binary.payload()).isEqualTo(all);
        assertThat(binary.encoding()).isEqualTo("binary");
        assertThat(binary.frameType()).isEqualTo("chunk.bin");
        assertThat(binary.correlationId()).isEqualTo("corr-1");

        Map<String, @Nullable Object> meta = meta(db, claim.executionId(), 0);
        assertThat(meta.get("next_seq")).isEqualTo(3L);
        assertThat(meta.get("frame_count")).isEqualTo(2L);
    }

    @Test
    @DisplayName("readStream ranges are inclusive at both ends and respect count")
    void inclusiveRanges() {
        ClaimedExecution claim = createAndClaim(engine, null);
        List<AppendFrame> five = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            five.add(AppendFrame.durableText("f" + i));
        }
        List<AppendOutcome> outcomes = await(streams.appendFrames(claim.fence(), five));
        assertThat(outcomes).extracting(o -> o.frameId().seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(outcomes).extracting(AppendOutcome::frameCount).containsExactly(1L, 2L, 3L, 4L, 5L);
        ExecutionId id = claim.executionId();
        FrameId second = outcomes.get(1).frameId();
        FrameId fourth = outcomes.get(3).frameId();

        assertThat(texts(await(streams.readStream(id, 0, StreamCursor.at(second), StreamCursor.at(fourth), 100,
                Visibility.ALL)))).containsExactly("f2", "f3", "f4");
        assertThat(texts(await(streams.readStream(id, 0, StreamCursor.START, StreamCursor.END, 2,
                Visibility.ALL)))).containsExactly("f1", "f2");
        assertThat(texts(await(streams.readStream(id, 0, StreamCursor.at(fourth), StreamCursor.END, 100,
                Visibility.ALL)))).containsExactly("f4", "f5");
        // A bare timestamp is <ts>-0: every frame of that millisecond and later.
        FrameId bare = new FrameId(outcomes.get(0).frameId().tsMs(), 0);
        assertThat(texts(await(streams.readStream(id, 0, StreamCursor.at(bare), StreamCursor.END, 100,
                Visibility.ALL)))).containsExactly("f1", "f2", "f3", "f4", "f5");
        assertThat(texts(await(streams.readStream(id, 0, StreamCursor.START, StreamCursor.at(FrameId.ZERO), 100,
                Visibility.ALL)))).isEmpty();
    }

    @Test
    @DisplayName("ST-02: merge-patch summary versions 1..4, sentinel null, delete by null; non-JSON writes nothing")
    void summaryPatches() {
        ClaimedExecution claim = createAndClaim(engine, null);
        LeaseFence fence = claim.fence();
        ExecutionId id = claim.executionId();
        assertThat(await(streams.readSummary(id, 0))).isEmpty();

        List<Long> versions = new ArrayList<>();
        for (String patch : List.of("{\"a\":1}", "{\"b\":2}", "{\"a\":42,\"c\":{\"x\":\"__ff_null__\"}}",
                "{\"b\":null}")) {
            versions.add(await(streams.appendFrame(fence, AppendFrame.summary(patch))).summaryVersion());
        }
        assertThat(versions).containsExactly(1L, 2L, 3L, 4L);

        String before = streamTables(db);
        ValidationException invalid = failure(streams.appendFrame(fence,
                AppendFrame.builder(FrameMode.SUMMARY, "{not json".getBytes(StandardCharsets.UTF_8)).build()),
                ValidationException.class);
        assertThat(invalid.kind()).isEqualTo(ValidationException.Kind.INVALID_JSON);
        assertThat(streamTables(db)).isEqualTo(before);

        SummaryDocument summary = await(streams.readSummary(id, 0)).orElseThrow();
        assertThat(summary.version()).isEqualTo(4);
        assertThat(summary.document()).isEqualTo(JsonMergePatch.parse("{\"a\":42,\"c\":{\"x\":null}}"));
        assertThat(summary.patchKind()).isEqualTo("json-merge-patch");
        assertThat(summary.lastUpdatedAt()).isAfterOrEqualTo(summary.firstAppliedAt());

        // Each patch is also a summary frame, stored as given.
        StreamFrames frames = readAll(streams, id, 0);
        assertThat(frames.frames()).hasSize(4).allMatch(f -> f.mode() == FrameMode.SUMMARY);
        assertThat(frames.frames().get(2).utf8()).isEqualTo("{\"a\":42,\"c\":{\"x\":\"__ff_null__\"}}");
        assertThat(frames.frames().get(2).encoding()).isEqualTo("json");
    }

    @Test
    @DisplayName("a non-object patch replaces the document; an object patch then starts from {}")
    void nonObjectPatch() {
        ClaimedExecution claim = createAndClaim(engine, null);
        await(streams.appendFrame(claim.fence(), AppendFrame.summary("{\"a\":{\"b\":1}}")));
        await(streams.appendFrame(claim.fence(), AppendFrame.summary("[1,\"__ff_null__\"]")));
        assertThat(await(streams.readSummary(claim.executionId(), 0)).orElseThrow().document())
                .isEqualTo(JsonMergePatch.parse("[1,null]"));
        AppendOutcome third = await(streams.appendFrame(claim.fence(), AppendFrame.summary("{\"z\":true}")));
        assertThat(third.summaryVersion()).isEqualTo(3);
        assertThat(await(streams.readSummary(claim.executionId(), 0)).orElseThrow().json())
                .isEqualTo("{\"z\":true}");
    }

    @Test
    @DisplayName("ST-11: 65 536 bytes accepted, 65 537 LIMIT_EXCEEDED with nothing written; counts 0 and 10 001 and"
            + " a tail after START rejected; a stale handle is STALE_LEASE")
    void limitsAndValidation() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        assertThat(await(streams.appendFrame(claim.fence(), AppendFrame.durable(new byte[65_536], "binary")))
                .frameCount()).isEqualTo(1);

        String before = streamTables(db);
        ValidationException tooBig = failure(streams.appendFrame(claim.fence(),
                AppendFrame.durable(new byte[65_537], "binary")), ValidationException.class);
        assertThat(tooBig.kind()).isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(tooBig.detail()).contains("65536");
        assertThat(streamTables(db)).isEqualTo(before);

        for (int count : new int[] {0, 10_001, -1}) {
            ValidationException badCount = failure(streams.readStream(id, 0, StreamCursor.START, StreamCursor.END,
                    count, Visibility.ALL), ValidationException.class);
            assertThat(badCount.kind()).as("count %d", count).isEqualTo(ValidationException.Kind.INVALID_INPUT);
        }
        for (StreamCursor after : List.of(StreamCursor.START, StreamCursor.END)) {
            ValidationException badCursor = failure(streams.tailStream(id, 0, after, Duration.ZERO, 10,
                    Visibility.ALL), ValidationException.class);
            assertThat(badCursor.kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR);
        }
        assertThat(failure(streams.readStream(id, 0, StreamCursor.END, StreamCursor.END, 1, Visibility.ALL),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR);
        assertThat(failure(streams.tailStream(id, 0, StreamCursor.at(FrameId.ZERO), Duration.ofMinutes(6), 1,
                Visibility.ALL), ValidationException.class).kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT);

        StateException stale = failure(streams.appendFrame(forged(claim.fence()), AppendFrame.durableText("x")),
                StateException.class);
        assertThat(stale.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        LeaseFence oldEpoch = new LeaseFence(id, 0, claim.fence().leaseEpoch() + 1, claim.fence().leaseId());
        assertThat(failure(streams.appendFrame(oldEpoch, AppendFrame.durableText("x")), StateException.class).kind())
                .isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(streamTables(db)).isEqualTo(before);
    }

    @Test
    @DisplayName("field rules: frame type, encoding, correlation id, best-effort options, batch size, fence")
    void fieldRules() {
        ClaimedExecution claim = createAndClaim(engine, null);
        LeaseFence fence = claim.fence();
        String before = streamTables(db);
        byte[] one = {1};
        List<AppendFrame> invalid = List.of(
                AppendFrame.builder(FrameMode.DURABLE, one).frameType("Upper").build(),
                AppendFrame.builder(FrameMode.DURABLE, one).frameType("x".repeat(65)).build(),
                AppendFrame.builder(FrameMode.DURABLE, one).encoding("").build(),
                AppendFrame.builder(FrameMode.DURABLE, one).encoding("UTF-8").build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).ttl(Duration.ofMillis(999)).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).ttl(Duration.ofHours(2)).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).maxlen(0, 10).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).maxlen(10, 100_001).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).maxlen(20, 10).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).emaAlpha(0).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).emaAlpha(1.5).build(),
                AppendFrame.builder(FrameMode.BEST_EFFORT, one).emaAlpha(Double.NaN).build());
        for (AppendFrame frame : invalid) {
            assertThat(failure(streams.appendFrame(fence, frame), ValidationException.class).kind())
                    .as("%s", frame).isEqualTo(ValidationException.Kind.INVALID_INPUT);
        }
        assertThat(failure(streams.appendFrame(fence, AppendFrame.builder(FrameMode.DURABLE, one)
                .correlationId("c".repeat(257)).build()), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(failure(streams.appendFrames(fence, List.of()), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_INPUT);
        List<AppendFrame> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(AppendFrame.durableText("x"));
        }
        assertThat(failure(streams.appendFrames(fence, tooMany), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        // One bad frame in a batch rejects the whole batch.
        List<AppendFrame> mixed = List.of(AppendFrame.durableText("ok"),
                AppendFrame.builder(FrameMode.SUMMARY, "[".getBytes(StandardCharsets.UTF_8)).build());
        assertThat(failure(streams.appendFrames(fence, mixed), ValidationException.class).kind())
                .isEqualTo(ValidationException.Kind.INVALID_JSON);
        assertThat(failure(streams.appendFrame(null, AppendFrame.durableText("x")), ValidationException.class)
                .kind()).isEqualTo(ValidationException.Kind.FENCE_REQUIRED);
        assertThat(streamTables(db)).isEqualTo(before);
        assertThat(failure(streams.readStream(ExecutionId.standalone(), 0, StreamCursor.START, StreamCursor.END, 1,
                Visibility.ALL), NotFoundException.class).entity()).isEqualTo(NotFoundException.Entity.EXECUTION);
        assertThat(failure(streams.readSummary(ExecutionId.standalone(), 0), NotFoundException.class).entity())
                .isEqualTo(NotFoundException.Entity.EXECUTION);
    }

    @Test
    @DisplayName("the policy's payload and frame-count limits apply; a batch over the frame limit writes nothing")
    void policyLimits() {
        ExecutionPolicy policy = ExecutionPolicy.builder().streamMaxPayloadBytes(10).streamMaxFramesPerAttempt(3)
                .build();
        ClaimedExecution claim = createAndClaim(engine, policy);
        assertThat(failure(streams.appendFrame(claim.fence(), AppendFrame.durable(new byte[11], "binary")),
                ValidationException.class).kind()).isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        await(streams.appendFrames(claim.fence(), List.of(AppendFrame.durableText("1"),
                AppendFrame.durableText("2"))));
        String before = streamTables(db);
        ValidationException overCount = failure(streams.appendFrames(claim.fence(),
                List.of(AppendFrame.durableText("3"), AppendFrame.durableText("4"))), ValidationException.class);
        assertThat(overCount.kind()).isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(overCount.detail()).contains("maxFramesPerAttempt");
        assertThat(streamTables(db)).isEqualTo(before);
        assertThat(await(streams.appendFrame(claim.fence(), AppendFrame.durableText("3"))).frameCount())
                .isEqualTo(3);
        assertThat(meta(db, claim.executionId(), 0).get("frame_count")).isEqualTo(3L);
    }

    @Test
    @DisplayName("ST-09: after complete, an append with the old handle is STREAM_CLOSED; reads report the close")
    void closedAfterComplete() {
        ClaimedExecution claim = createAndClaim(engine, null);
        await(streams.appendFrame(claim.fence(), AppendFrame.durableText("last words")));
        await(engine.workers().complete(claim.fence(), null, null));

        String before = streamTables(db);
        StateException closed = failure(streams.appendFrame(claim.fence(), AppendFrame.durableText("late")),
                StateException.class);
        assertThat(closed.kind()).isEqualTo(StateException.Kind.STREAM_CLOSED);
        // Whatever the fence: the attempt has ended.
        assertThat(failure(streams.appendFrame(forged(claim.fence()), AppendFrame.durableText("late")),
                StateException.class).kind()).isEqualTo(StateException.Kind.STREAM_CLOSED);
        assertThat(streamTables(db)).isEqualTo(before);

        StreamFrames read = readAll(streams, claim.executionId(), 0);
        assertThat(read.closed()).isTrue();
        assertThat(read.closedReason()).isEqualTo(EndReason.COMPLETED);
        assertThat(read.closedAt()).isNotNull();
        assertThat(texts(read)).containsExactly("last words");
    }

    @Test
    @DisplayName("ST-10: a reclaimed attempt's stream closes with lease_expired and the next starts at seq 1; a"
            + " resumed attempt continues its own stream")
    void attemptsOwnStreams() {
        ClaimedExecution first = createAndClaim(engine, null, Duration.ofSeconds(1));
        ExecutionId id = first.executionId();
        await(streams.appendFrames(first.fence(), List.of(AppendFrame.durableText("a0-1"),
                AppendFrame.durableText("a0-2"))));
        clock.advance(Duration.ofSeconds(5));
        await(engine.reconcilers().tick("lease_expiry"));
        ClaimedExecution second = StreamTestSupport.claim(engine, laneOf(id));
        assertThat(second.fence().attemptIndex()).isEqualTo(1);

        StreamFrames attempt0 = readAll(streams, id, 0);
        assertThat(attempt0.closedReason()).isEqualTo(EndReason.LEASE_EXPIRED);
        assertThat(texts(attempt0)).containsExactly("a0-1", "a0-2");
        assertThat(failure(streams.appendFrame(first.fence(), AppendFrame.durableText("x")), StateException.class)
                .kind()).isEqualTo(StateException.Kind.STREAM_CLOSED);

        AppendOutcome a1 = await(streams.appendFrame(second.fence(), AppendFrame.durableText("a1-1")));
        assertThat(a1.frameId().seq()).isEqualTo(1);
        assertThat(a1.frameId().tsMs()).isGreaterThanOrEqualTo(attempt0.lastId().tsMs());

        // Pause (yield) and claim again: the same attempt resumes and keeps appending to its stream.
        await(engine.workers().delay(second.fence(), Duration.ZERO));
        assertThat(readAll(streams, id, 1).closed()).isFalse();
        ClaimedExecution resumed = StreamTestSupport.claim(engine, laneOf(id));
        assertThat(resumed.fence().attemptIndex()).isEqualTo(1);
        assertThat(failure(streams.appendFrame(second.fence(), AppendFrame.durableText("old lease")),
                StateException.class).kind()).isEqualTo(StateException.Kind.STALE_LEASE);
        assertThat(await(streams.appendFrame(resumed.fence(), AppendFrame.durableText("a1-2"))).frameId().seq())
                .isEqualTo(2);
        assertThat(texts(readAll(streams, id, 1))).containsExactly("a1-1", "a1-2");
        assertThat(readAll(streams, id, 5).frames()).isEmpty();
    }

    private String laneOf(ExecutionId id) {
        return (String) db.queryValue("SELECT lane_id FROM flowfabric.ff_exec_core WHERE partition_key = ?"
                + " AND execution_id = ?", (short) id.partition(), id.uuid()).orElseThrow();
    }

    private static List<String> texts(StreamFrames frames) {
        return frames.frames().stream().map(StreamFrame::utf8).toList();
    }

    @Test
    void summaryDocumentAboveOneMebibyteIsRejected() {
        ExecutionPolicy policy = ExecutionPolicy.builder().streamMaxPayloadBytes(1024 * 1024).build();
        ClaimedExecution claim = createAndClaim(engine, policy);
        String big = "x".repeat(600 * 1024);
        await(streams.appendFrame(claim.fence(), AppendFrame.summary("{\"a\":\"" + big + "\"}")));
        String before = streamTables(db);
        ValidationException tooBig = failure(streams.appendFrame(claim.fence(),
                AppendFrame.summary("{\"b\":\"" + big + "\"}")), ValidationException.class);
        assertThat(tooBig.kind()).isEqualTo(ValidationException.Kind.LIMIT_EXCEEDED);
        assertThat(streamTables(db)).isEqualTo(before);
        Optional<SummaryDocument> summary = await(streams.readSummary(claim.executionId(), 0));
        assertThat(summary.orElseThrow().version()).isEqualTo(1);
        assertThat(frames(db, claim.executionId(), 0, null)).isEqualTo(1);
        assertThat(Arrays.asList(summary.orElseThrow().document().fieldNames().next())).containsExactly("a");
    }
}
