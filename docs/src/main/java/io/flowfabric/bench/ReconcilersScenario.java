package io.flowfabric.bench;

import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.PostgresEngine;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code reconcilers} (issue 6): what the background jobs cost.
 *
 * <ol>
 *   <li><b>Idle ticks</b> (first, on a fresh, empty schema): {@code tick(job)} called one after the other, each
 *       awaited; the wall time of an idle {@code lease_expiry} tick and its CPU (this JVM and the engine's
 *       PostgreSQL backends) over {@code --idle-ticks} ticks; then the same for one round of every job.</li>
 *   <li><b>Lease expiry of N leases</b> with 1 node and with {@code --nodes} nodes (engines on one schema, each with
 *       its own pool): N executions are created and claimed with {@code claimBatch(100)} under a 1 s lease; once the
 *       database clock has passed every lease's expiry (no reconciler runs meanwhile), every node calls
 *       {@code tick("lease_expiry")} in a loop until a tick finds nothing; the time runs from the first tick until
 *       SQL counts no expired active lease. Checked: N {@code expired} lease events and N executions back to
 *       runnable (awaiting reclaim).</li>
 * </ol>
 */
final class ReconcilersScenario implements BenchScenario {

    private static final String IDLE_SCHEMA = "ff_bench_rec_idle";
    private static final String LANE = "reconcile";
    private static final Duration LEASE = Duration.ofSeconds(1);
    private static final String LEASE_EXPIRY = "lease_expiry";
    private static final Duration EXPIRY_LIMIT = Duration.ofMinutes(5);
    private static final int WARMUP_LEASES = 500;
    private static final int WARMUP_ROUNDS = 100;

    @Override
    public String name() {
        return "reconcilers";
    }

    @Override
    public String summary() {
        return "lease expiry of N expired leases with 1 and K nodes; wall and CPU cost of idle ticks (#6)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("leases", "10000", "expired leases to process per measurement"),
                BenchOption.value("nodes", "3", "engines ticking concurrently in the multi-node measurement"),
                BenchOption.value("idle-ticks", "500", "idle lease_expiry ticks, and idle rounds of every job"),
                BenchOption.optional("url", "r2dbc-url", "use this database instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int leases = options.intAtLeast("leases", 1);
        int nodes = options.intAtLeast("nodes", 2);
        int idleTicks = options.intAtLeast("idle-ticks", 1);

        try (BenchRun run = BenchRun.open(options.value("url").orElse(null), out)) {
            run.header("reconcilers (issue 6)", List.of(
                    String.format(Locale.ROOT, "idle: %d sequential lease_expiry ticks, then %d rounds of every job, "
                            + "on an empty schema", idleTicks, idleTicks),
                    String.format(Locale.ROOT, "expiry: %d leases (claimBatch(100), TTL %d s), ticked by 1 node, then "
                            + "by %d nodes concurrently (tick loop per node until a tick finds nothing)", leases,
                            LEASE.toSeconds(), nodes),
                    "engines: default pool (2..20) each, background reconcilers off (ticks are manual)"));

            double idleTickMs = idle(run, out, idleTicks);
            out.println();
            double oneNodeMs = expiry(run, out, "ff_bench_rec_1n", 1, leases);
            double multiNodeMs = expiry(run, out, "ff_bench_rec_" + nodes + "n", nodes, leases);
            out.println();
            run.footer();
            out.printf(Locale.ROOT, "RESULT scenario=reconcilers expire10k_1node_ms=%.0f expire10k_%dnode_ms=%.0f "
                    + "idle_tick_ms=%.2f%n", oneNodeMs, nodes, multiNodeMs, idleTickMs);
            if (leases != 10_000) {
                out.println("note: the RESULT keys say 10k, but --leases was " + leases);
            }
        }
    }

    /** Idle tick costs; returns the median wall time of an idle lease_expiry tick. */
    private static double idle(BenchRun run, PrintStream out, int ticks) {
        PostgresEngine engine = run.engine(IDLE_SCHEMA, b -> b);
        List<String> jobs = engine.reconcilers().jobs();
        // Warm-up: every job ticks a few times (JIT, prepared statements), not counted.
        for (int i = 0; i < WARMUP_ROUNDS; i++) {
            for (String job : jobs) {
                tick(engine, job);
            }
        }
        CpuMeter meter = new CpuMeter(run.admin(), BenchRun.applicationName(IDLE_SCHEMA));
        Latencies leaseExpiry = new Latencies(ticks);
        CpuMeter.Sample cpu = meter.start();
        long start = System.nanoTime();
        for (int i = 0; i < ticks; i++) {
            long t0 = System.nanoTime();
            tick(engine, LEASE_EXPIRY);
            leaseExpiry.record(System.nanoTime() - t0);
        }
        long nanos = System.nanoTime() - start;
        CpuMeter.Use use = cpu.since();
        out.printf(Locale.ROOT, "idle lease_expiry tick   p50 %.2f ms, p99 %.2f ms wall; CPU per tick: JVM %.0f us, "
                        + "PostgreSQL %s (%d ticks in %.2f s)%n", leaseExpiry.percentileMillis(0.5),
                leaseExpiry.percentileMillis(0.99), use.jvmNanos() / 1000.0 / ticks, pgMicros(use, ticks), ticks,
                nanos / 1e9);

        Map<String, Latencies> perJob = new LinkedHashMap<>();
        jobs.forEach(job -> perJob.put(job, new Latencies(ticks)));
        Latencies rounds = new Latencies(ticks);
        cpu = meter.start();
        for (int i = 0; i < ticks; i++) {
            long r0 = System.nanoTime();
            for (String job : jobs) {
                long t0 = System.nanoTime();
                tick(engine, job);
                perJob.get(job).record(System.nanoTime() - t0);
            }
            rounds.record(System.nanoTime() - r0);
        }
        use = cpu.since();
        out.printf(Locale.ROOT, "idle round of all %d jobs p50 %.2f ms, p99 %.2f ms wall; CPU per round: JVM %.0f us, "
                        + "PostgreSQL %s%n", jobs.size(), rounds.percentileMillis(0.5), rounds.percentileMillis(0.99),
                use.jvmNanos() / 1000.0 / ticks, pgMicros(use, ticks));
        StringBuilder line = new StringBuilder("  idle tick p50 ms by job:");
        perJob.forEach((job, l) -> line.append(String.format(Locale.ROOT, " %s %.2f;", job, l.percentileMillis(0.5))));
        out.println(line.substring(0, line.length() - 1));

        // Warm-up of the expiry path (JIT of procedure E) before the measured expiries, not counted.
        CreateExecution request = CreateExecution.builder(LANE).build();
        EngineSetup.createAll(engine, WARMUP_LEASES, i -> request);
        EngineSetup.claimAll(engine, LANE, WARMUP_LEASES, LEASE);
        BenchRun.sleep(LEASE.plusMillis(200));
        while (tick(engine, LEASE_EXPIRY).scanned() > 0) {
            BenchRun.sleep(Duration.ofMillis(1));
        }
        run.stop(engine);
        return leaseExpiry.percentileMillis(0.5);
    }

    private static String pgMicros(CpuMeter.Use use, int ticks) {
        return use.pgNanos() < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f us", use.pgNanos() / 1000.0 / ticks);
    }

    private static TickReport tick(PostgresEngine engine, String job) {
        TickReport report = engine.reconcilers().tick(job).block(Duration.ofMinutes(1));
        if (report == null) {
            throw new BenchFailure("check=tick job=" + job + " report=none");
        }
        return report;
    }

    /** N expired leases processed by {@code nodes} engines; returns the wall time in ms. */
    private static double expiry(BenchRun run, PrintStream out, String schema, int nodes, int leases) {
        List<PostgresEngine> engines = new ArrayList<>();
        for (int k = 0; k < nodes; k++) {
            // The first engine migrates the schema; the others find it in place.
            engines.add(run.engine(schema, b -> b));
        }
        PostgresEngine first = engines.get(0);
        long setupStart = System.nanoTime();
        CreateExecution request = CreateExecution.builder(LANE).build();
        EngineSetup.createAll(first, leases, i -> request);
        EngineSetup.claimAll(first, LANE, leases, LEASE);
        String due = "SELECT count(*) FROM " + schema + ".ff_exec_core WHERE lifecycle_phase = 'active' "
                + "AND lease_expires_at_ms <= " + schema + ".now_ms()";
        String active = "SELECT count(*) FROM " + schema + ".ff_exec_core WHERE lifecycle_phase = 'active'";
        long waitStart = System.nanoTime();
        while (run.queryLong(due) < leases) {
            if (System.nanoTime() - waitStart > Duration.ofSeconds(30).toNanos()) {
                throw new BenchFailure("check=leases_due schema=" + schema + " due=" + run.queryLong(due)
                        + " expected=" + leases);
            }
            BenchRun.sleep(Duration.ofMillis(50));
        }
        double setupSeconds = (System.nanoTime() - setupStart) / 1e9;

        AtomicInteger ticks = new AtomicInteger();
        AtomicInteger acted = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime();
        int rounds = 0;
        long remaining;
        do {
            rounds++;
            Flux.fromIterable(engines)
                    .flatMap(engine -> Mono.defer(() -> engine.reconcilers().tick(LEASE_EXPIRY))
                            .doOnNext(r -> {
                                ticks.incrementAndGet();
                                acted.addAndGet(r.acted());
                                errors.addAndGet(r.errors());
                            })
                            .repeat()
                            .takeUntil(r -> r.scanned() == 0)
                            .then(), nodes)
                    .then()
                    .block(EXPIRY_LIMIT);
            remaining = run.queryLong(active);
            if (System.nanoTime() - start > EXPIRY_LIMIT.toNanos()) {
                throw new BenchFailure("check=expiry_finished schema=" + schema + " still_active=" + remaining);
            }
        } while (remaining > 0);
        double ms = (System.nanoTime() - start) / 1e6;

        long expiredEvents = run.queryLong("SELECT count(*) FROM " + schema + ".ff_lease_event WHERE event_type = "
                + "'expired'");
        long reclaimable = run.queryLong("SELECT count(*) FROM " + schema + ".ff_exec_core WHERE lifecycle_phase = "
                + "'runnable' AND ownership_state = 'lease_expired_reclaimable'");
        if (expiredEvents != leases || reclaimable != leases || acted.get() != leases) {
            throw new BenchFailure("check=expired schema=" + schema + " nodes=" + nodes + " expected=" + leases
                    + " expired_events=" + expiredEvents + " reclaimable=" + reclaimable + " acted=" + acted.get()
                    + " errors=" + errors.get());
        }
        out.printf(Locale.ROOT, "expiry %d leases, %d node%s: %.0f ms (%.0f leases/s); %d ticks in %d round%s, %d "
                        + "tick errors; checked %d expired events (setup %.1f s, not counted)%n", leases, nodes,
                nodes == 1 ? " " : "s", ms, leases / (ms / 1000), ticks.get(), rounds, rounds == 1 ? "" : "s",
                errors.get(), expiredEvents, setupSeconds);
        engines.forEach(run::stop);
        return ms;
    }
}
