package io.flowfabric.postgres.streams;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.streams.StreamTestSupport.createAndClaim;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.state.EndReason;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TailAndFollowTest {

    private PostgresEngine engine;
    private StreamOperations streams;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = StreamTestSupport.engine(db, clock, "ff-stream-tail", b -> { });
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

    private StreamFrames tail(ExecutionId id, FrameId after, Duration block) {
        return await(streams.tailStream(id, 0, StreamCursor.at(after), block, 100, Visibility.ALL));
    }

    @Test
    @DisplayName("ST-08: an empty tail returns empty after its block, at once with block 0, and wakes on an append")
    void tailTiming() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();

        long t0 = System.nanoTime();
        StreamFrames empty = tail(id, FrameId.ZERO, Duration.ofMillis(500));
        long waited = elapsedMs(t0);
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.closed()).isFalse();
        assertThat(waited).isBetween(450L, 2000L);

        t0 = System.nanoTime();
        assertThat(tail(id, FrameId.ZERO, Duration.ZERO).isEmpty()).isTrue();
        assertThat(elapsedMs(t0)).isLessThan(2000);

        Disposable writer = Mono.delay(Duration.ofMillis(200))
                .then(streams.appendFrame(claim.fence(), AppendFrame.durableText("woke")))
                .subscribe();
        t0 = System.nanoTime();
        StreamFrames woken = tail(id, FrameId.ZERO, Duration.ofSeconds(5));
        long latency = elapsedMs(t0);
        writer.dispose();
        assertThat(woken.frames()).extracting(StreamFrame::utf8).containsExactly("woke");
        // Woken by the notification, well before the 1 s poll fallback.
        assertThat(latency).isBetween(150L, 900L);

        t0 = System.nanoTime();
        StreamFrames immediate = tail(id, FrameId.ZERO, Duration.ofSeconds(5));
        assertThat(immediate.frames()).hasSize(1);
        assertThat(elapsedMs(t0)).isLessThan(2000);
        assertThat(tail(id, immediate.lastId(), Duration.ZERO).isEmpty()).isTrue();
    }

    @Test
    @DisplayName("ST-09: after complete a tail returns at once with closed information; a follow completes")
    void closedStreamEndsTailsAndFollows() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        AppendOutcome last = await(streams.appendFrame(claim.fence(), AppendFrame.durableText("only")));

        List<StreamFrame> followed = new CopyOnWriteArrayList<>();
        CountDownLatch completed = new CountDownLatch(1);
        Disposable follow = streams.followStream(id, 0, StreamCursor.START, Visibility.ALL)
                .subscribe(followed::add, e -> { }, completed::countDown);
        StreamFrames parked = tail(id, last.frameId(), Duration.ofMillis(300));
        assertThat(parked.isEmpty()).isTrue();

        AtomicReference<StreamFrames> waiting = new AtomicReference<>();
        Disposable parkedTail = streams.tailStream(id, 0, StreamCursor.at(last.frameId()), Duration.ofSeconds(10),
                10, Visibility.ALL).subscribe(waiting::set);
        long t0 = System.nanoTime();
        await(engine.workers().complete(claim.fence(), null, null));

        StepVerifier.create(Mono.fromCallable(() -> completed.await(5, TimeUnit.SECONDS)))
                .expectNext(true).verifyComplete();
        assertThat(followed).extracting(StreamFrame::utf8).containsExactly("only");
        assertThat(elapsedMs(t0)).isLessThan(3000);
        follow.dispose();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (waiting.get() == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        parkedTail.dispose();
        assertThat(waiting.get()).isNotNull();
        assertThat(waiting.get().closed()).isTrue();
        assertThat(waiting.get().closedReason()).isEqualTo(EndReason.COMPLETED);

        t0 = System.nanoTime();
        StreamFrames closed = tail(id, last.frameId(), Duration.ofSeconds(10));
        assertThat(elapsedMs(t0)).isLessThan(2000);
        assertThat(closed.isEmpty()).isTrue();
        assertThat(closed.closed()).isTrue();
        assertThat(closed.closedReason()).isEqualTo(EndReason.COMPLETED);
        assertThat(closed.closedAt()).isNotNull();
        StepVerifier.create(streams.followStream(id, 0, StreamCursor.START, Visibility.ALL))
                .expectNextMatches(f -> f.utf8().equals("only"))
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("ST-06: 8 concurrent appenders x 500 frames: seq 1..4000 without gaps; the follower sees each once")
    void concurrentAppendersAndFollower() throws InterruptedException {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        int appenders = 8;
        int perAppender = 500;
        int total = appenders * perAppender;

        List<StreamFrame> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(total);
        Disposable follower = streams.followStream(id, 0, StreamCursor.START, Visibility.ALL)
                .publishOn(Schedulers.boundedElastic(), 32)
                .subscribe(frame -> {
                    seen.add(frame);
                    all.countDown();
                });
        List<AppendOutcome> outcomes = Flux.range(0, appenders)
                .flatMap(a -> Flux.range(0, perAppender)
                        .concatMap(i -> streams.appendFrame(claim.fence(),
                                AppendFrame.durableText(a + ":" + i))), appenders)
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(all.await(30, TimeUnit.SECONDS)).as("follower saw all %d frames", total).isTrue();
        follower.dispose();

        assertThat(outcomes).hasSize(total);
        assertThat(outcomes.stream().map(o -> o.frameId().seq()).sorted().toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
        List<FrameId> ids = seen.stream().map(StreamFrame::id).toList();
        assertThat(ids).hasSize(total);
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(ids.stream().map(FrameId::seq).toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
        // Each appender's own frames arrive in the order it appended them.
        for (int a = 0; a < appenders; a++) {
            String prefix = a + ":";
            List<String> mine = seen.stream().map(StreamFrame::utf8).filter(t -> t.startsWith(prefix)).toList();
            assertThat(mine).hasSize(perAppender);
            for (int i = 0; i < perAppender; i++) {
                assertThat(mine.get(i)).isEqualTo(prefix + i);
            }
        }
    }

    @Test
    @DisplayName("ST-12: a consumer requesting one frame at a time gets all frames in order; reads follow demand")
    void followHonoursDemand() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        int total = 1000;
        for (int batch = 0; batch < total / 100; batch++) {
            List<AppendFrame> frames = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                frames.add(AppendFrame.durableText(Integer.toString(batch * 100 + i)));
            }
            await(streams.appendFrames(claim.fence(), frames));
        }

        List<String> received = new CopyOnWriteArrayList<>();
        AtomicLong maxOutstanding = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        BaseSubscriber<StreamFrame> slow = new BaseSubscriber<>() {
            private final AtomicLong requested = new AtomicLong();

            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                requested.incrementAndGet();
                request(1);
            }

            @Override
            protected void hookOnNext(StreamFrame frame) {
                received.add(frame.utf8());
                maxOutstanding.accumulateAndGet(requested.get() - received.size(), Math::max);
                if (received.size() == total) {
                    done.countDown();
                    return;
                }
                Schedulers.parallel().schedule(() -> {
                    requested.incrementAndGet();
                    request(1);
                }, 1, TimeUnit.MILLISECONDS);
            }
        };
        streams.followStream(id, 0, StreamCursor.START, Visibility.ALL).subscribe(slow);
        StepVerifier.create(Mono.fromCallable(() -> done.await(30, TimeUnit.SECONDS))).expectNext(true)
                .verifyComplete();
        slow.dispose();
        assertThat(received).hasSize(total);
        for (int i = 0; i < total; i++) {
            assertThat(received.get(i)).isEqualTo(Integer.toString(i));
        }
        assertThat(maxOutstanding.get()).isLessThanOrEqualTo(1);
    }

    @Test
    @DisplayName("a follower reads only when asked: frames that expired before the request are never delivered")
    void followReadsOnlyAgainstDemand() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        List<AppendFrame> frames = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            frames.add(AppendFrame.builder(FrameMode.BEST_EFFORT, new byte[] {(byte) i}).ttl(Duration.ofSeconds(1))
                    .build());
        }
        frames.add(AppendFrame.durableText("durable"));
        await(streams.appendFrames(claim.fence(), frames));

        StepVerifier.create(streams.followStream(id, 0, StreamCursor.START, Visibility.ALL), 1)
                .expectNextMatches(f -> f.mode() == FrameMode.BEST_EFFORT && f.payload()[0] == 0)
                .then(() -> clock.advance(Duration.ofSeconds(2)))
                .thenRequest(Long.MAX_VALUE)
                .expectNextMatches(f -> f.utf8().equals("durable"))
                .then(() -> await(engine.workers().complete(claim.fence(), null, null)))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("follow from END delivers only later frames; EXCLUDE_BEST_EFFORT hides live frames")
    void followFromEndAndVisibility() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        await(streams.appendFrame(claim.fence(), AppendFrame.durableText("before")));
        StepVerifier.create(streams.followStream(id, 0, StreamCursor.END, Visibility.EXCLUDE_BEST_EFFORT))
                .thenAwait(Duration.ofMillis(300))
                .then(() -> await(streams.appendFrames(claim.fence(), List.of(
                        AppendFrame.bestEffort(new byte[] {1}, "binary"), AppendFrame.durableText("after")))))
                .expectNextMatches(f -> f.utf8().equals("after"))
                .then(() -> await(engine.workers().complete(claim.fence(), null, null)))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a follow of an execution that does not exist fails with NotFound")
    void followMissingExecution() {
        StepVerifier.create(streams.followStream(ExecutionId.standalone(), 0, StreamCursor.START, Visibility.ALL))
                .expectErrorMatches(e -> e instanceof io.flowfabric.core.error.NotFoundException)
                .verify(Duration.ofSeconds(10));
    }

    /**
     * Appends a frame behind the engine's back, in plain SQL without NOTIFY: the shape of a change whose notification
     * was lost.
     */
    private void appendSilently(ExecutionId id, String text) {
        db.execute("""
                WITH m AS (
                  UPDATE flowfabric.ff_stream_meta SET next_seq = next_seq + 1, frame_count = frame_count + 1
                  WHERE partition_key = ? AND execution_id = ? AND attempt_index = 0
                  RETURNING next_seq - 1 AS seq, last_ts_ms
                )
                INSERT INTO flowfabric.ff_stream_frame (partition_key, execution_id, attempt_index, seq, ts_ms, mode,
                                                        frame_type, encoding, payload)
                SELECT ?, ?, 0, seq, last_ts_ms, 'durable', 'event', 'utf8', convert_to(?, 'UTF8') FROM m""",
                (short) id.partition(), id.uuid(), (short) id.partition(), id.uuid(), text);
    }

    @Test
    @DisplayName("without a notification, the shared 1 s poll fallback still wakes parked tails and follows")
    void pollFallbackWakesWithoutNotification() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        AppendOutcome first = await(streams.appendFrame(claim.fence(), AppendFrame.durableText("first")));

        List<String> followed = new CopyOnWriteArrayList<>();
        Disposable follow = streams.followStream(id, 0, StreamCursor.at(first.frameId()), Visibility.ALL)
                .subscribe(f -> followed.add(f.utf8()));
        Mono<StreamFrames> parkedTail = streams.tailStream(id, 0, StreamCursor.at(first.frameId()),
                Duration.ofSeconds(20), 10, Visibility.ALL).cache();
        parkedTail.subscribe();
        Mono.delay(Duration.ofMillis(300)).block();

        long t0 = System.nanoTime();
        appendSilently(id, "silent");
        StreamFrames woken = parkedTail.block(Duration.ofSeconds(10));
        assertThat(woken.frames()).extracting(StreamFrame::utf8).containsExactly("silent");
        assertThat(elapsedMs(t0)).isLessThan(3000);
        Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> followed.contains("silent"));
        follow.dispose();
        assertThat(followed).containsExactly("silent");
    }

    @Test
    @DisplayName("cancelling follows and tails releases their LISTEN registrations")
    void cancellationReleasesChannels() {
        ClaimedExecution claim = createAndClaim(engine, null);
        ExecutionId id = claim.executionId();
        int before = engine.listenerChannels();
        Disposable follow = streams.followStream(id, 0, StreamCursor.START, Visibility.ALL).subscribe();
        Disposable tail = streams.tailStream(id, 0, StreamCursor.at(FrameId.ZERO), Duration.ofSeconds(30), 1,
                Visibility.ALL).subscribe();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> engine.listenerChannels() == before + 1);
        follow.dispose();
        tail.dispose();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> engine.listenerChannels() == before);
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
