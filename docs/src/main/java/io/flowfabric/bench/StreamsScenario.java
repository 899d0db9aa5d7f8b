package io.flowfabric.bench;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.PostgresEngine;
import io.r2dbc.pool.PoolMetrics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code streams} (issue 5): append throughput, and what parked tails cost and how fast they wake.
 *
 * <ol>
 *   <li><b>Append throughput.</b> A appenders, each the holder of one claimed execution, append durable frames of
 *       {@code --frame-bytes} to their own stream one after the other ({@code appendFrame}, one frame per call and
 *       transaction) for {@code --seconds}; frames/s is the total over the wall time. A warm-up of
 *       {@code --warmup-seconds} (JIT) is not counted.</li>
 *   <li><b>Parked tails.</b> {@code --tails} {@code tailStream(id, attempt, at(0-0), block, 10, ALL)} calls spread
 *       over {@code --tail-streams} streams of claimed executions, all parked (every stream's channel LISTENed and
 *       no pooled connection in use). While parked, the engine pool's {@code acquiredSize()} is sampled 20 times
 *       over 2 s, and its sessions in {@code pg_stat_activity} are counted by state.</li>
 *   <li><b>Wake latency.</b> One frame is appended to each tailed stream, open loop at {@code --wake-rate}; a wake is
 *       the time from that append's {@code Mono} completing (the commit seen by the client) to the tail's
 *       {@code Mono} emitting (clamped to 0 when the tail was faster than the append's reply; counted), with
 *       {@code append issued → emitted} as the upper bound.</li>
 * </ol>
 */
final class StreamsScenario implements BenchScenario {

    private static final String SCHEMA = "ff_bench_streams";
    private static final String APPEND_LANE = "streams-append";
    private static final String TAIL_LANE = "streams-tail";
    private static final Duration SETUP_LEASE = Duration.ofMinutes(30);
    private static final int POOL_SAMPLES = 20;
    private static final Duration POOL_SAMPLE_EVERY = Duration.ofMillis(100);
    private static final Duration PARK_LIMIT = Duration.ofSeconds(120);
    private static final int TAIL_COUNT = 10;

    @Override
    public String name() {
        return "streams";
    }

    @Override
    public String summary() {
        return "append frames/s with A appenders; wake latency and pooled connections of parked tails (#5)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("appenders", "8", "concurrent appenders, one stream each"),
                BenchOption.value("seconds", "10", "length of the append phase"),
                BenchOption.value("warmup-seconds", "3", "appending before the measured phase, not counted"),
                BenchOption.value("frame-bytes", "1024", "payload bytes per durable frame"),
                BenchOption.value("tails", "1000", "parked tails"),
                BenchOption.value("tail-streams", "1000", "streams the tails are spread over (tails / streams each)"),
                BenchOption.value("tail-block", "30", "seconds each tail may park (tailStream block)"),
                BenchOption.value("wake-rate", "100", "appends per second that wake the tails"),
                BenchOption.optional("url", "r2dbc-url", "use this database instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int appenders = options.intAtLeast("appenders", 1);
        int seconds = options.intAtLeast("seconds", 1);
        int warmup = options.intAtLeast("warmup-seconds", 0);
        int frameBytes = options.intAtLeast("frame-bytes", 1);
        int tails = options.intAtLeast("tails", 1);
        int tailStreams = options.intAtLeast("tail-streams", 1);
        int tailBlock = options.intAtLeast("tail-block", 1);
        int wakeRate = options.intAtLeast("wake-rate", 1);
        if (tails % tailStreams != 0) {
            throw new BenchUsageException("--tails must be a multiple of --tail-streams");
        }
        if (tailBlock > 300) {
            throw new BenchUsageException("--tail-block is at most 300 s");
        }
        byte[] payload = new byte[frameBytes];
        Arrays.fill(payload, (byte) 'x');

        try (BenchRun run = BenchRun.open(options.value("url").orElse(null), out)) {
            run.header("streams (issue 5)", List.of(
                    String.format(Locale.ROOT, "append: %d appenders x 1 stream, durable %d-byte frames, one "
                            + "appendFrame at a time each, %d s (+%d s warm-up)", appenders, frameBytes, seconds,
                            warmup),
                    String.format(Locale.ROOT, "tails: %d tailStream(at 0-0, block %d s, count %d) on %d streams; "
                            + "wakes: 1 append per stream at %d/s", tails, tailBlock, TAIL_COUNT, tailStreams,
                            wakeRate),
                    "wake = append() returned -> tail emitted (<0 clamped to 0); 'issued' = append() issued -> "
                            + "tail emitted",
                    "engine: one node, pool 8..20, background reconcilers off; application_name "
                            + BenchRun.applicationName(SCHEMA)));
            PostgresEngine engine = run.engine(SCHEMA, b -> b.poolSize(8, 20));

            AppendFigures appendFigures = appendPhase(run, engine, appenders, warmup, seconds, payload);
            out.printf(Locale.ROOT, "append         %d frames in %.2f s = %.0f frames/s (%.1f MiB/s); per append p50 "
                            + "%.2f ms, p99 %.2f ms%n", appendFigures.frames, appendFigures.nanos / 1e9,
                    appendFigures.perSecond(), appendFigures.perSecond() * frameBytes / (1024 * 1024),
                    appendFigures.latencies.percentileMillis(0.5), appendFigures.latencies.percentileMillis(0.99));
            out.println("               " + appendFigures.cpuText());

            tailPhase(run, engine, out, tails, tailStreams, tailBlock, wakeRate, payload, appendFigures);
        }
    }

    private record AppendFigures(long frames, long nanos, Latencies latencies, CpuMeter.Use cpu) {
        double perSecond() {
            return frames * 1e9 / nanos;
        }

        String cpuText() {
            double others = cpu.machineNanos() < 0 || cpu.pgNanos() < 0 ? Double.NaN
                    : Math.max(0, cpu.machineNanos() - cpu.jvmNanos() - cpu.pgNanos())
                            / (double) (nanos * Runtime.getRuntime().availableProcessors());
            return String.format(Locale.ROOT, "CPU per frame: JVM %.0f us, PostgreSQL backends %s; other processes "
                            + "took %s of the machine meanwhile", cpu.jvmNanos() / 1000.0 / frames,
                    cpu.pgNanos() < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f us",
                            cpu.pgNanos() / 1000.0 / frames),
                    Double.isNaN(others) ? "unknown" : String.format(Locale.ROOT, "%.0f%%", others * 100));
        }
    }

    private static AppendFigures appendPhase(BenchRun run, PostgresEngine engine, int appenders, int warmup,
                                             int seconds, byte[] payload) {
        CreateExecution request = CreateExecution.builder(APPEND_LANE).build();
        EngineSetup.createAll(engine, appenders, i -> request);
        List<ClaimedExecution> claimed = EngineSetup.claimAll(engine, APPEND_LANE, appenders, SETUP_LEASE);
        AppendFrame frame = AppendFrame.durable(payload, "binary");
        appendFor(engine, claimed, frame, Duration.ofSeconds(warmup), null, new AtomicLong());
        Latencies latencies = new Latencies(2_000_000);
        AtomicLong frames = new AtomicLong();
        CpuMeter.Sample cpu = new CpuMeter(run.admin(), BenchRun.applicationName(SCHEMA)).start();
        long start = System.nanoTime();
        appendFor(engine, claimed, frame, Duration.ofSeconds(seconds), latencies, frames);
        long nanos = System.nanoTime() - start;
        return new AppendFigures(frames.get(), nanos, latencies, cpu.since());
    }

    /** Every claimed execution appends {@code frame} to its stream, one call after the other, for {@code length}. */
    private static void appendFor(PostgresEngine engine, List<ClaimedExecution> claimed, AppendFrame frame,
                                  Duration length, @Nullable Latencies latencies,
                                  AtomicLong frames) {
        long deadline = System.nanoTime() + length.toNanos();
        Flux.fromIterable(claimed)
                .flatMap(c -> Mono.defer(() -> {
                            long sent = System.nanoTime();
                            return engine.streams().appendFrame(c.fence(), frame).doOnNext(outcome -> {
                                if (latencies != null) {
                                    latencies.record(System.nanoTime() - sent);
                                }
                                frames.incrementAndGet();
                            });
                        })
                        .repeat(() -> System.nanoTime() < deadline)
                        .then(), claimed.size())
                .then()
                .block(length.plusMinutes(2));
    }

    private static void tailPhase(BenchRun run, PostgresEngine engine, PrintStream out, int tails, int streams,
                                  int tailBlock, int wakeRate, byte[] payload, AppendFigures appendFigures) {
        CreateExecution request = CreateExecution.builder(TAIL_LANE).build();
        EngineSetup.createAll(engine, streams, i -> request);
        List<ClaimedExecution> claimed = EngineSetup.claimAll(engine, TAIL_LANE, streams, SETUP_LEASE);
        int perStream = tails / streams;
        int channelsBefore = engine.listenerChannels();

        AtomicLongArray emittedAt = new AtomicLongArray(tails);
        AtomicInteger emitted = new AtomicInteger();
        AtomicInteger empty = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<Disposable> subscriptions = new ArrayList<>(tails);
        long subscribeStart = System.nanoTime();
        for (int t = 0; t < tails; t++) {
            int tail = t;
            ClaimedExecution stream = claimed.get(t / perStream);
            subscriptions.add(engine.streams().tailStream(stream.executionId(), stream.attemptIndex(),
                            StreamCursor.at(FrameId.ZERO), Duration.ofSeconds(tailBlock), TAIL_COUNT, Visibility.ALL)
                    .subscribe(frames -> {
                        emittedAt.set(tail, System.nanoTime());
                        if (frames.frames().isEmpty()) {
                            empty.incrementAndGet();
                        }
                        emitted.incrementAndGet();
                    }, error::set));
        }
        try {
            long parkedAfter = waitParked(engine, channelsBefore + streams, error);
            out.printf(Locale.ROOT, "tails          %d subscribed and parked in %.2f s (%d channels LISTENed)%n",
                    tails, parkedAfter / 1e9, engine.listenerChannels());
            int parked = tails - emitted.get();
            int maxAcquired = 0;
            int maxPending = 0;
            int allocated = 0;
            for (int i = 0; i < POOL_SAMPLES; i++) {
                Optional<PoolMetrics> metrics = BenchRun.poolMetrics(engine);
                if (metrics.isPresent()) {
                    maxAcquired = Math.max(maxAcquired, metrics.get().acquiredSize());
                    maxPending = Math.max(maxPending, metrics.get().pendingAcquireSize());
                    allocated = metrics.get().allocatedSize();
                }
                BenchRun.sleep(POOL_SAMPLE_EVERY);
            }
            parked = Math.min(parked, tails - emitted.get());
            Map<String, Long> sessions = run.sessionsByState(BenchRun.applicationName(SCHEMA));
            Map<String, Long> listener = run.sessionsByState(BenchRun.applicationName(SCHEMA) + "-listener");
            out.printf(Locale.ROOT, "while parked   %d tails parked; engine pool over %d samples in %.1f s: acquired "
                            + "max %d, pending max %d, allocated %d%n", parked, POOL_SAMPLES,
                    POOL_SAMPLES * POOL_SAMPLE_EVERY.toMillis() / 1000.0, maxAcquired, maxPending, allocated);
            out.println("               pg_stat_activity, engine pool sessions by state: " + sessions
                    + "; listener: " + listener);

            AtomicLongArray appendIssued = new AtomicLongArray(streams);
            AtomicLongArray appendReturned = new AtomicLongArray(streams);
            AppendFrame frame = AppendFrame.durable(payload, "binary");
            OpenLoop.Outcome wakes = OpenLoop.run(streams, wakeRate, 64, j -> {
                appendIssued.set(j, System.nanoTime());
                return engine.streams().appendFrame(claimed.get(j).fence(), frame)
                        .doOnSuccess(o -> appendReturned.set(j, System.nanoTime()));
            }, Duration.ofSeconds(60L + 3L * streams / wakeRate));
            if (wakes.failed() > 0) {
                throw new BenchFailure("check=wake_appends failed=" + wakes.failed() + " first_error="
                        + wakes.firstError());
            }
            long drainStart = System.nanoTime();
            while (emitted.get() < tails && System.nanoTime() - drainStart < Duration.ofSeconds(30).toNanos()) {
                BenchRun.sleep(Duration.ofMillis(5));
            }
            if (error.get() != null || emitted.get() < tails || empty.get() > 0) {
                throw new BenchFailure("check=tails_woken tails=" + tails + " emitted=" + emitted.get()
                        + " empty(timed out)=" + empty.get() + " error=" + error.get());
            }
            Latencies wake = new Latencies(tails);
            Latencies wakeIssued = new Latencies(tails);
            int clamped = 0;
            for (int t = 0; t < tails; t++) {
                int s = t / perStream;
                long fromReturn = emittedAt.get(t) - appendReturned.get(s);
                if (fromReturn < 0) {
                    clamped++;
                }
                wake.record(Math.max(0, fromReturn));
                wakeIssued.record(emittedAt.get(t) - appendIssued.get(s));
            }
            out.printf(Locale.ROOT, "wakes          %d at %.0f appends/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                            + "issued->emitted p50 %.2f ms, p99 %.2f ms; %d clamped%n", tails,
                    wakes.achievedRate(), wake.percentileMillis(0.5), wake.percentileMillis(0.99),
                    wake.percentileMillis(1.0), wakeIssued.percentileMillis(0.5), wakeIssued.percentileMillis(0.99),
                    clamped);
            out.printf(Locale.ROOT, "subscribe->last wake %.1f s (tails must not time out: block %d s)%n",
                    (System.nanoTime() - subscribeStart) / 1e9, tailBlock);
            out.println();
            run.footer();
            out.printf(Locale.ROOT, "RESULT scenario=streams append_per_s=%.0f wake_p50_ms=%.2f wake_p99_ms=%.2f "
                            + "parked=%d pooled_held=%d%n", appendFigures.perSecond(), wake.percentileMillis(0.5),
                    wake.percentileMillis(0.99), parked, maxAcquired);
        } finally {
            subscriptions.forEach(Disposable::dispose);
        }
    }

    /**
     * Waits until every tail has LISTENed (the engine listens on {@code channels} channels) and the pool is quiet
     * (nothing acquired or pending) twice in a row 50 ms apart; returns how long that took.
     */
    private static long waitParked(PostgresEngine engine, int channels, AtomicReference<Throwable> error) {
        long start = System.nanoTime();
        int quiet = 0;
        while (quiet < 2) {
            if (System.nanoTime() - start > PARK_LIMIT.toNanos() || error.get() != null) {
                throw new BenchFailure("check=tails_parked channels=" + engine.listenerChannels() + " expected="
                        + channels + " error=" + error.get());
            }
            Optional<PoolMetrics> m = BenchRun.poolMetrics(engine);
            boolean poolQuiet = m.isEmpty() || (m.get().acquiredSize() == 0 && m.get().pendingAcquireSize() == 0);
            quiet = engine.listenerChannels() >= channels && poolQuiet ? quiet + 1 : 0;
            BenchRun.sleep(Duration.ofMillis(50));
        }
        return System.nanoTime() - start;
    }
}
