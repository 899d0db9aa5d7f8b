package io.flowfabric.bench;

import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.worker.TaskContext;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.PostgresEngine;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.ToDoubleFunction;
import reactor.core.publisher.Mono;

/**
 * {@code pickup} (issue 7): how fast idle {@link WorkerRuntime}s pick up new work, and what the runtime's
 * claim-run-complete loop sustains compared with the raw-SQL queue of the lifecycle scenario.
 *
 * <ol>
 *   <li><b>Pickup latency.</b> R idle runtimes (16 slots each, {@code idleWait} 30 s: each parks one claim and is woken
 *       by the lane's ready NOTIFY) on one lane. Executions are created one by one at {@code --rate} (open loop);
 *       the latency of each is from its {@code createExecution} {@code Mono} completing to its handler being
 *       called (clamped to 0 when the handler was faster than the create's reply; counted), with {@code create
 *       issued → handler} as the upper bound. A warm-up of 2 s at the same rate is not counted.</li>
 *   <li><b>Throughput</b>, the same shape as {@code lifecycle}: N executions created with 32 creates in flight while
 *       no worker runs, then one runtime with 16 slots and a no-op handler (it completes each execution with no
 *       result) processes them all; rate = N / (create time + process time). The baseline is
 *       {@link RawLifecycle} (16 workers, INSERT / {@code UPDATE ... FOR UPDATE SKIP LOCKED} claim / UPDATE done)
 *       run in the same process on the same server; and, to separate the runtime's own cost from the engine's,
 *       {@link EngineLifecycle} (the engine API driven directly: 16 workers, {@code claimBatch(16)} then
 *       {@code complete} each). A warm-up round of N/10 runs first for all three; figures are medians over
 *       {@code --rounds}.</li>
 * </ol>
 */
final class PickupScenario implements BenchScenario {

    private static final String SCHEMA = "ff_bench_pickup";
    private static final String TP_SCHEMA = "ff_bench_pickup_tp";
    private static final String LANE = "pickup";
    private static final String KIND = "bench-pickup";
    private static final int SLOTS = 16;
    private static final Duration IDLE_WAIT = Duration.ofSeconds(30);
    private static final Duration DONE_LIMIT = Duration.ofMinutes(3);
    private static final byte[] INPUT = "{\"bench\":true}".getBytes(StandardCharsets.UTF_8);
    private static final int WARMUP_SECONDS = 2;
    private static final String DIRECT_SCHEMA = "ff_bench_pickup_direct";
    /** The lifecycle scenario's default claim batch. */
    private static final int DIRECT_BATCH = 16;

    @Override
    public String name() {
        return "pickup";
    }

    @Override
    public String summary() {
        return "create->handler latency of idle WorkerRuntimes; runtime throughput vs raw SKIP LOCKED (#7)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("n", "2000", "executions created one by one for the pickup latency"),
                BenchOption.value("rate", "200", "creates per second for the pickup latency"),
                BenchOption.value("runtimes", "2", "idle WorkerRuntimes (16 slots each) parked on the lane"),
                BenchOption.value("throughput-n", "4000", "executions per throughput round"),
                BenchOption.value("rounds", "3", "throughput rounds; figures are medians over rounds"),
                BenchOption.optional("url", "r2dbc-url", "use this database instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int n = options.intAtLeast("n", 1);
        int rate = options.intAtLeast("rate", 1);
        int runtimes = options.intAtLeast("runtimes", 1);
        int tpN = options.intAtLeast("throughput-n", 1);
        int rounds = options.intAtLeast("rounds", 1);

        try (BenchRun run = BenchRun.open(options.value("url").orElse(null), out)) {
            run.header("pickup (issue 7)", List.of(
                    String.format(Locale.ROOT, "pickup: %d idle WorkerRuntimes x %d slots, idleWait %d s; %d "
                            + "creates one by one at %d/s (+%d s warm-up)", runtimes, SLOTS, IDLE_WAIT.toSeconds(), n,
                            rate, WARMUP_SECONDS),
                    "latency = createExecution returned -> handler called (<0 clamped to 0); 'issued' = create "
                            + "issued -> handler called",
                    String.format(Locale.ROOT, "throughput: N=%d, %d rounds (+ N/10 warm-up): create with %d in "
                            + "flight, then 1 runtime x %d slots (no-op handler) vs RawLifecycle with %d workers",
                            tpN, rounds, EngineSetup.CREATE_CONCURRENCY, SLOTS, SLOTS),
                    String.format(Locale.ROOT, "and vs EngineLifecycle (the engine API without the "
                            + "runtime: %d workers, claimBatch(%d) then complete each), as in the lifecycle scenario",
                            SLOTS, DIRECT_BATCH),
                    "engines: pickup default pool (2..20); throughput pool 16..20 like the baseline's; background "
                            + "reconcilers off"));
            double[] latency = pickup(run, out, n, rate, runtimes);
            out.println();
            throughput(run, out, tpN, rounds, latency);
        }
    }

    /** The pickup measurement; returns {p50, p99} in ms. */
    private static double[] pickup(BenchRun run, PrintStream out, int n, int rate, int runtimes) {
        PostgresEngine engine = run.engine(SCHEMA, b -> b);
        int warmup = rate * WARMUP_SECONDS;
        // Index space: warm-up executions first, then the measured ones.
        int total = warmup + n;
        AtomicLongArray issued = new AtomicLongArray(total);
        AtomicLongArray created = new AtomicLongArray(total);
        AtomicLongArray started = new AtomicLongArray(total);
        AtomicInteger handled = new AtomicInteger();
        List<WorkerRuntime> workers = new ArrayList<>();
        for (int r = 0; r < runtimes; r++) {
            workers.add(WorkerRuntime.builder(engine)
                    .workerId("bench-pickup")
                    .workerInstanceId("bench-pickup-" + r)
                    .lane(LANE)
                    .concurrency(SLOTS)
                    .idleWait(IDLE_WAIT)
                    .handler(KIND, context -> {
                        started.set(index(context), System.nanoTime());
                        handled.incrementAndGet();
                        return Mono.empty();
                    })
                    .build()
                    .start());
        }
        try {
            // Let every runtime park its first claim.
            BenchRun.sleep(Duration.ofMillis(500));
            createAtRate(engine, 0, warmup, rate, issued, created);
            // The cold runtime falls behind during the warm-up; start measuring only once it has caught up.
            awaitHandled(handled, warmup);
            BenchRun.sleep(Duration.ofMillis(500));
            OpenLoop.Outcome creates = createAtRate(engine, warmup, n, rate, issued, created);
            if (!creates.onSchedule()) {
                out.printf(Locale.ROOT, "warning: the creator fell behind: %.0f of %d creates/s offered%n",
                        creates.achievedRate(), rate);
            }
            awaitHandled(handled, total);
        } finally {
            workers.forEach(w -> w.stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30)));
        }
        Latencies latency = new Latencies(n);
        Latencies fromIssue = new Latencies(n);
        int clamped = 0;
        for (int i = warmup; i < total; i++) {
            long d = started.get(i) - created.get(i);
            if (d < 0) {
                clamped++;
            }
            latency.record(Math.max(0, d));
            fromIssue.record(started.get(i) - issued.get(i));
        }
        int maxSlots = workers.stream().mapToInt(WorkerRuntime::maxConcurrentObserved).max().orElse(0);
        out.printf(Locale.ROOT, "pickup   %d executions: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; "
                        + "issued->handler p50 %.2f ms, p99 %.2f ms%n", n, latency.percentileMillis(0.5),
                latency.percentileMillis(0.9), latency.percentileMillis(0.99), latency.percentileMillis(1.0),
                fromIssue.percentileMillis(0.5), fromIssue.percentileMillis(0.99));
        out.printf(Locale.ROOT, "         %d clamped; most slots busy at once in one runtime (warm-up included): %d of %d%n", clamped,
                maxSlots, SLOTS);
        run.stop(engine);
        return new double[] {latency.percentileMillis(0.5), latency.percentileMillis(0.99)};
    }

    private static void awaitHandled(AtomicInteger handled, int expected) {
        long waitStart = System.nanoTime();
        while (handled.get() < expected && System.nanoTime() - waitStart < Duration.ofSeconds(60).toNanos()) {
            BenchRun.sleep(Duration.ofMillis(5));
        }
        if (handled.get() < expected) {
            throw new BenchFailure("check=picked_up expected=" + expected + " handled=" + handled.get());
        }
    }

    private static int index(TaskContext context) {
        return Integer.parseInt(context.inputText());
    }

    /** Creates executions {@code first .. first + count - 1} one by one at {@code rate}, each with its index. */
    private static OpenLoop.Outcome createAtRate(PostgresEngine engine, int first, int count, int rate,
                                                 AtomicLongArray issued, AtomicLongArray created) {
        OpenLoop.Outcome outcome = OpenLoop.run(count, rate, 64, k -> {
            int i = first + k;
            CreateExecution request = CreateExecution.builder(LANE).executionKind(KIND)
                    .input(Integer.toString(i)).build();
            issued.set(i, System.nanoTime());
            return engine.executions().createExecution(request)
                    .doOnSuccess(r -> created.set(i, System.nanoTime()));
        }, Duration.ofSeconds(60L + 3L * count / rate));
        if (outcome.failed() > 0) {
            throw new BenchFailure("check=creates failed=" + outcome.failed() + " first_error="
                    + outcome.firstError());
        }
        return outcome;
    }

    private record Round(double createPerSecond, double processPerSecond, double totalPerSecond) {
    }

    private static void throughput(BenchRun run, PrintStream out, int n, int rounds, double[] latency) {
        RawLifecycle raw = new RawLifecycle(run.admin(), run.r2dbcUrl(), false);
        raw.install();
        try {
            PostgresEngine engine = run.engine(TP_SCHEMA, b -> b.poolSize(SLOTS, SLOTS + 4));
            EngineLifecycle direct = new EngineLifecycle(run.admin(), run.r2dbcUrl(), out);
            int warmupN = Math.max(1, n / 10);
            raw.run(warmupN, SLOTS, EngineSetup.CREATE_CONCURRENCY, INPUT);
            direct.run(DIRECT_SCHEMA, 1, warmupN, SLOTS, DIRECT_BATCH, EngineSetup.CREATE_CONCURRENCY, INPUT);
            runtimeRound(run, engine, warmupN);
            out.println(String.format(Locale.ROOT, "%-6s %-8s %9s %9s %9s", "round", "system", "create/s",
                    "process/s", "total/s"));
            List<Round> engineRounds = new ArrayList<>();
            List<Round> directRounds = new ArrayList<>();
            List<Round> rawRounds = new ArrayList<>();
            for (int k = 1; k <= rounds; k++) {
                LifecycleRun r = raw.run(n, SLOTS, EngineSetup.CREATE_CONCURRENCY, INPUT);
                Round rawRound = new Round(r.createPerSecond(), r.processPerSecond(), r.totalPerSecond());
                rawRounds.add(rawRound);
                out.println(row(Integer.toString(k), "raw", rawRound));
                LifecycleRun d = direct.run(DIRECT_SCHEMA, 1, n, SLOTS, DIRECT_BATCH, EngineSetup.CREATE_CONCURRENCY,
                        INPUT);
                Round directRound = new Round(d.createPerSecond(), d.processPerSecond(), d.totalPerSecond());
                directRounds.add(directRound);
                out.println(row(Integer.toString(k), "engine", directRound));
                Round engineRound = runtimeRound(run, engine, n);
                engineRounds.add(engineRound);
                out.println(row(Integer.toString(k), "runtime", engineRound));
            }
            Round rawMedian = median(rawRounds);
            Round engineMedian = median(engineRounds);
            Round directMedian = median(directRounds);
            out.println("medians:");
            out.println(row("", "raw", rawMedian));
            out.println(row("", "engine", directMedian));
            out.println(row("", "runtime", engineMedian));
            double ratio = engineMedian.totalPerSecond() / rawMedian.totalPerSecond();
            out.printf(Locale.ROOT, "runtime / raw: total %.2f, create %.2f, process %.2f%n", ratio,
                    engineMedian.createPerSecond() / rawMedian.createPerSecond(),
                    engineMedian.processPerSecond() / rawMedian.processPerSecond());
            out.printf(Locale.ROOT, "runtime / engine (same engine API without the runtime): total %.2f, process %.2f%n",
                    engineMedian.totalPerSecond() / directMedian.totalPerSecond(),
                    engineMedian.processPerSecond() / directMedian.processPerSecond());
            out.println();
            run.footer();
            out.printf(Locale.ROOT, "RESULT scenario=pickup p50_ms=%.2f p99_ms=%.2f runtime_per_s=%.0f raw_per_s=%.0f "
                            + "ratio=%.2f%n", latency[0], latency[1], engineMedian.totalPerSecond(),
                    rawMedian.totalPerSecond(), ratio);
        } finally {
            dropRaw(raw, out);
        }
    }

    /** Cleanup must not hide the run's own outcome. */
    private static void dropRaw(RawLifecycle raw, PrintStream out) {
        try {
            raw.uninstall();
        } catch (RuntimeException e) {
            out.println("warning: could not drop schema " + RawLifecycle.SCHEMA + " (" + e.getMessage() + ")");
        }
    }

    /** One engine round: create N while no worker runs, then one runtime processes them all. */
    private static Round runtimeRound(BenchRun run, PostgresEngine engine, int n) {
        String completed = "SELECT count(*) FROM " + TP_SCHEMA + ".ff_exec_core WHERE public_state = 'completed'";
        long before = run.queryLong(completed);
        CreateExecution request = CreateExecution.builder(LANE).executionKind(KIND).input(INPUT, "binary").build();
        long createStart = System.nanoTime();
        EngineSetup.createAll(engine, n, i -> request);
        long createNanos = System.nanoTime() - createStart;

        AtomicInteger handled = new AtomicInteger();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("bench-throughput")
                .lane(LANE)
                .concurrency(SLOTS)
                .idleWait(IDLE_WAIT)
                .handler(KIND, context -> {
                    handled.incrementAndGet();
                    return Mono.empty();
                })
                .build();
        long processStart = System.nanoTime();
        long processNanos;
        runtime.start();
        try {
            // Done when every handler ran and every completion was written (a slot is freed after its complete).
            while (handled.get() < n || runtime.inFlight() > 0) {
                if (System.nanoTime() - processStart > DONE_LIMIT.toNanos()) {
                    throw new BenchFailure("check=runtime_processed expected=" + n + " handled=" + handled.get()
                            + " in_flight=" + runtime.inFlight());
                }
                BenchRun.sleep(Duration.ofMillis(1));
            }
            // Taken before stopping: the stop waits for the runtime's parked idle claim (up to its grace period),
            // which is not processing time.
            processNanos = System.nanoTime() - processStart;
        } finally {
            runtime.stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
        }
        long done = run.queryLong(completed) - before;
        if (done != n || handled.get() != n) {
            throw new BenchFailure("check=runtime_completed expected=" + n + " completed=" + done + " handled="
                    + handled.get());
        }
        return new Round(n * 1e9 / createNanos, n * 1e9 / processNanos, n * 1e9 / (createNanos + processNanos));
    }

    private static String row(String round, String system, Round r) {
        return String.format(Locale.ROOT, "%-6s %-8s %9.0f %9.0f %9.0f", round, system, r.createPerSecond(),
                r.processPerSecond(), r.totalPerSecond());
    }

    private static Round median(List<Round> rounds) {
        return new Round(median(rounds, Round::createPerSecond), median(rounds, Round::processPerSecond),
                median(rounds, Round::totalPerSecond));
    }

    private static double median(List<Round> rounds, ToDoubleFunction<Round> figure) {
        double[] values = rounds.stream().mapToDouble(figure).sorted().toArray();
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
