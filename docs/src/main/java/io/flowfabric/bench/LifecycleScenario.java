package io.flowfabric.bench;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code lifecycle} (acceptance PF-02): N executions created, then W workers claiming and completing them with no-op
 * work, against a raw-SQL queue on one plain table ({@link RawLifecycle}) in the same run, on the same server,
 * through the same driver and an equally sized pool.
 *
 * <p>A small warm-up round (N/10, not counted) runs first. Then each of R rounds runs the baseline and the engine
 * once per partition count, each engine in a fresh schema {@code ff_p<P>_r<k>}. Reported figures are the medians
 * over rounds; the ratio is the engine's median lifecycle rate at the first partition count over the baseline's.
 */
final class LifecycleScenario implements BenchScenario {

    private static final int CREATE_CONCURRENCY = 32;
    private static final int MAX_BATCH = 100;
    private static final Set<Integer> PARTITION_COUNTS = Set.of(1, 2, 4, 8, 16, 32);
    /** A tiny input, the same bytes for the engine and the baseline. */
    private static final byte[] INPUT = "{\"bench\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static final String SERVER_SETTINGS = "SELECT current_setting('server_version') AS version, "
            + "current_setting('max_locks_per_transaction') AS max_locks, "
            + "current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync, "
            + "current_setting('full_page_writes') AS full_page_writes, "
            + "current_setting('max_connections') AS max_connections, "
            + "current_setting('shared_buffers') AS shared_buffers";

    @Override
    public String name() {
        return "lifecycle";
    }

    @Override
    public String summary() {
        return "create N executions, W workers claim+complete them; engine vs raw SKIP LOCKED baseline (PF-02)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("n", "20000", "executions per round"),
                BenchOption.value("workers", "16", "concurrent workers (engine pool: W initial, W+4 max)"),
                BenchOption.value("batch", "16", "executions per engine claimBatch (1..100)"),
                BenchOption.value("rounds", "3", "measured rounds; figures are medians over rounds"),
                BenchOption.value("partitions", "1", "engine physical partitions, comma-separated (1,2,4,8,16,32)"),
                BenchOption.optional("url", "r2dbc-url", "use this database (r2dbc:postgresql://user:pw@host:port/db) "
                        + "instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int n = options.intAtLeast("n", 1);
        int workers = options.intAtLeast("workers", 1);
        int batch = options.intAtLeast("batch", 1);
        int rounds = options.intAtLeast("rounds", 1);
        List<Integer> partitions = options.intList("partitions", 1);
        if (batch > MAX_BATCH) {
            throw new BenchUsageException("--batch must be at most " + MAX_BATCH + ", was " + batch);
        }
        for (int p : partitions) {
            if (!PARTITION_COUNTS.contains(p)) {
                throw new BenchUsageException("--partitions values must be 1, 2, 4, 8, 16 or 32, got " + p);
            }
        }

        try (BenchDatabase database = BenchDatabase.open(options.value("url").orElse(null))) {
            ConnectionPool admin = BenchPools.create(database.r2dbcUrl(), 0, 2, "flowfabric-bench-admin", false);
            RawLifecycle raw = new RawLifecycle(admin, database.r2dbcUrl(), false);
            try {
                header(out, database, admin, n, workers, batch, rounds, partitions);
                raw.install();
                EngineLifecycle engine = new EngineLifecycle(admin, database.r2dbcUrl(), out);

                int warmupN = Math.max(1, n / 10);
                long warmupStart = System.nanoTime();
                raw.run(warmupN, workers, CREATE_CONCURRENCY, INPUT);
                engine.run(schema(partitions.get(0), "w"), partitions.get(0), warmupN, workers, batch,
                        CREATE_CONCURRENCY, INPUT);
                out.printf(Locale.ROOT, "warm-up: raw and engine P=%d with N=%d, not counted (%.1f s)%n%n",
                        partitions.get(0), warmupN, (System.nanoTime() - warmupStart) / 1e9);

                List<LifecycleRun> rawRuns = new ArrayList<>();
                Map<Integer, List<LifecycleRun>> engineRuns = new LinkedHashMap<>();
                partitions.forEach(p -> engineRuns.put(p, new ArrayList<>()));
                out.println(rowHeader("round"));
                for (int k = 1; k <= rounds; k++) {
                    LifecycleRun r = raw.run(n, workers, CREATE_CONCURRENCY, INPUT);
                    rawRuns.add(r);
                    out.println(row(Integer.toString(k), r));
                    for (int p : partitions) {
                        LifecycleRun e = engine.run(schema(p, "r" + k), p, n, workers, batch, CREATE_CONCURRENCY,
                                INPUT);
                        engineRuns.get(p).add(e);
                        out.println(row(Integer.toString(k), e));
                    }
                }
                report(out, rounds, rawRuns, engineRuns, partitions.get(0));
            } finally {
                if (database.external()) {
                    dropRawSchema(raw, out);
                }
                admin.disposeLater().block(Duration.ofSeconds(30));
            }
        }
    }

    /** Cleanup after a run must not hide the run's own outcome, so a failure here is only reported. */
    private static void dropRawSchema(RawLifecycle raw, PrintStream out) {
        try {
            raw.uninstall();
        } catch (RuntimeException e) {
            out.println("warning: could not drop schema " + RawLifecycle.SCHEMA + " (" + e.getMessage() + ")");
        }
    }

    private static String schema(int partitions, String suffix) {
        return "ff_p" + partitions + "_" + suffix;
    }

    private static void header(PrintStream out, BenchDatabase database, ConnectionFactory admin, int n, int workers,
                               int batch, int rounds, List<Integer> partitions) {
        Map<String, String> s = BenchSql.queryOne(admin, SERVER_SETTINGS, row -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (String key : List.of("version", "max_locks", "synchronous_commit", "fsync", "full_page_writes",
                    "max_connections", "shared_buffers")) {
                m.put(key, row.get(key, String.class));
            }
            return m;
        }).blockOptional().orElseThrow();
        out.println("FlowFabric benchmark: lifecycle (PF-02), "
                + OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE) + " UTC");
        out.println("  database    " + database.origin());
        out.println("  server      PostgreSQL " + s.get("version") + ": max_locks_per_transaction=" + s.get("max_locks")
                + " synchronous_commit=" + s.get("synchronous_commit") + " fsync=" + s.get("fsync")
                + " full_page_writes=" + s.get("full_page_writes") + " max_connections=" + s.get("max_connections")
                + " shared_buffers=" + s.get("shared_buffers"));
        if ("off".equals(s.get("fsync")) || "off".equals(s.get("synchronous_commit"))) {
            out.println("  note        durability is off on this server (fsync/synchronous_commit): absolute rates are "
                    + "optimistic; the engine/raw ratio is what matters");
        }
        out.printf(Locale.ROOT, "  machine     %d CPUs, load average %.2f, Java %s, max heap %d MB%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() / (1024 * 1024));
        out.printf(Locale.ROOT, "  parameters  N=%d W=%d batch=%d rounds=%d partitions=%s pool=%d..%d (engine and "
                        + "raw) create concurrency=%d%n",
                n, workers, batch, rounds, partitions, workers, workers + 4, CREATE_CONCURRENCY);
        out.println("  columns     create/s = N / create phase; process/s = N / claim+complete phase; "
                + "total/s = N / (create + process)");
        out.println("              p50/p99 ms = claim emitted -> complete returned, per execution; claim50/99 = one "
                + "claim call (engine: a batch), ms");
        out.println("              jvm us / pg us = CPU microseconds per execution in this JVM / in the pool's "
                + "PostgreSQL backends");
        out.println("              other = CPU share (of all cores) taken by other processes during the round: "
                + "interference");
        out.println();
    }

    private static void report(PrintStream out, int rounds, List<LifecycleRun> rawRuns,
                               Map<Integer, List<LifecycleRun>> engineRuns, int firstPartitions) {
        out.println();
        out.println("medians over " + rounds + " round" + (rounds == 1 ? "" : "s") + ":");
        out.println(rowHeader(""));
        LifecycleFigures raw = LifecycleFigures.median(rawRuns);
        out.println(row("", raw));
        Map<Integer, LifecycleFigures> engines = new LinkedHashMap<>();
        engineRuns.forEach((p, runs) -> {
            LifecycleFigures median = LifecycleFigures.median(runs);
            engines.put(p, median);
            out.println(row("", median));
        });
        out.println();
        engineRuns.forEach((p, runs) -> {
            // Both systems of a round ran back to back, so a round's own ratio shows how much the interference
            // that differs between rounds moved the ratio of medians.
            StringBuilder perRound = new StringBuilder();
            for (int k = 0; k < runs.size(); k++) {
                perRound.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f",
                        runs.get(k).totalPerSecond() / rawRuns.get(k).totalPerSecond()));
            }
            out.println("engine P=" + p + " / raw per round: " + perRound);
        });
        engines.forEach((p, e) -> out.printf(Locale.ROOT,
                "engine P=%d / raw: total %.2f, create %.2f, process %.2f; CPU per execution %.1fx (jvm %.1fx, "
                        + "pg %.1fx)%n", p,
                e.totalPerSecond() / raw.totalPerSecond(), e.createPerSecond() / raw.createPerSecond(),
                e.processPerSecond() / raw.processPerSecond(),
                (e.jvmCpuMicros() + e.pgCpuMicros()) / (raw.jvmCpuMicros() + raw.pgCpuMicros()),
                e.jvmCpuMicros() / raw.jvmCpuMicros(), e.pgCpuMicros() / raw.pgCpuMicros()));
        out.println();
        out.println("CPU microseconds per execution by phase (medians; the machine has "
                + Runtime.getRuntime().availableProcessors() + " CPUs):");
        out.println(String.format(Locale.ROOT, "      %-11s %11s %11s %11s %11s", "system", "create jvm",
                "create pg", "process jvm", "process pg"));
        List<LifecycleFigures> all = new ArrayList<>();
        all.add(raw);
        all.addAll(engines.values());
        for (LifecycleFigures f : all) {
            out.println(String.format(Locale.ROOT, "      %-11s %11.0f %11.0f %11.0f %11.0f", f.label(),
                    f.createJvmMicros(), f.createPgMicros(), f.processJvmMicros(), f.processPgMicros()));
        }
        out.printf(Locale.ROOT, "load average at end: %.2f%n", loadAverage());
        LifecycleFigures engine = engines.get(firstPartitions);
        out.printf(Locale.ROOT, "RESULT scenario=lifecycle engine_per_s=%d raw_per_s=%d ratio=%.2f p50_ms=%.2f "
                        + "p99_ms=%.2f%n",
                Math.round(engine.totalPerSecond()), Math.round(raw.totalPerSecond()),
                engine.totalPerSecond() / raw.totalPerSecond(), engine.p50Ms(), engine.p99Ms());
    }

    private static String rowHeader(String first) {
        return String.format(Locale.ROOT, "%-5s %-11s %9s %9s %9s %8s %8s %8s %8s %7s %7s %6s", first, "system",
                "create/s", "process/s", "total/s", "p50 ms", "p99 ms", "claim50", "claim99", "jvm us", "pg us",
                "other");
    }

    private static String row(String first, LifecycleRun run) {
        double others = run.othersCpuShare();
        return row(first, LifecycleFigures.of(run),
                Double.isNaN(others) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", others * 100));
    }

    private static String row(String first, LifecycleFigures median) {
        return row(first, median, "");
    }

    private static String row(String first, LifecycleFigures r, String others) {
        return String.format(Locale.ROOT, "%-5s %-11s %9.0f %9.0f %9.0f %8.2f %8.2f %8.2f %8.2f %7.0f %7.0f %6s",
                first, r.label(), r.createPerSecond(), r.processPerSecond(), r.totalPerSecond(), r.p50Ms(),
                r.p99Ms(), r.claimP50Ms(), r.claimP99Ms(), r.jvmCpuMicros(), r.pgCpuMicros(), others);
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
