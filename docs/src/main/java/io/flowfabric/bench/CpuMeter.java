package io.flowfabric.bench;

import io.r2dbc.spi.ConnectionFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Measures CPU time spent during a phase, split between this JVM and the PostgreSQL backends serving one pool
 * (identified by their {@code application_name}), so a report can say where the time per execution goes; and the
 * whole machine's busy CPU time ({@code /proc/stat}), so it can say how much other processes took meanwhile.
 *
 * <p>The backends' CPU is read from {@code /proc/<pid>/stat}, which only works when the server runs on this machine
 * (the embedded server does); otherwise the PostgreSQL share is reported as unknown. Linux reports it in clock ticks
 * of 10 ms ({@code USER_HZ} is 100 on every mainstream Linux build), which is fine for phases of seconds. Sampling
 * runs one small query and blocks: call it on the main thread, between phases.
 */
final class CpuMeter {

    private static final long NANOS_PER_TICK = 10_000_000L;
    /** The pool's backends and, when an engine owns the pool, its listener connection (named with "-listener"). */
    private static final String BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            + "AND application_name IN ($1, $1 || '-listener')";

    private final ConnectionFactory admin;
    private final String applicationName;

    /**
     * @param admin           the connection factory used to list the backends (not the measured pool)
     * @param applicationName the measured pool's {@code application_name}; backends named that plus
     *                        {@code -listener} (an engine's notification listener) are counted too
     */
    CpuMeter(ConnectionFactory admin, String applicationName) {
        this.admin = admin;
        this.applicationName = applicationName;
    }

    /**
     * CPU used since a sample.
     *
     * @param jvmNanos     by this JVM (all threads, including JIT and GC)
     * @param pgNanos      by the measured pool's PostgreSQL backends (and the engine's listener); {@code -1} when
     *                     unknown (remote server)
     * @param machineNanos by every process on this machine, summed over CPUs; {@code -1} when unknown
     */
    record Use(long jvmNanos, long pgNanos, long machineNanos) {
    }

    /** A point in time to measure from. */
    final class Sample {
        private final long jvmNanos;
        private final @Nullable Map<Integer, Long> backendTicks;
        private final long machineTicks;

        private Sample(long jvmNanos, @Nullable Map<Integer, Long> backendTicks, long machineTicks) {
            this.jvmNanos = jvmNanos;
            this.backendTicks = backendTicks;
            this.machineTicks = machineTicks;
        }

        /** The CPU used since this sample. Backends that appeared meanwhile count from zero. Blocks. */
        Use since() {
            long jvm = jvmCpuNanos() - jvmNanos;
            long machineNow = machineBusyTicks();
            long machine = machineNow < 0 || machineTicks < 0 ? -1 : (machineNow - machineTicks) * NANOS_PER_TICK;
            Map<Integer, Long> now = backendTicks();
            Map<Integer, Long> then = backendTicks;
            if (now == null || then == null) {
                return new Use(jvm, -1, machine);
            }
            long ticks = 0;
            for (Map.Entry<Integer, Long> e : now.entrySet()) {
                ticks += e.getValue() - then.getOrDefault(e.getKey(), 0L);
            }
            return new Use(jvm, ticks * NANOS_PER_TICK, machine);
        }
    }

    /** Takes a sample now. Blocks. */
    Sample start() {
        return new Sample(jvmCpuNanos(), backendTicks(), machineBusyTicks());
    }

    /** Busy ticks of all CPUs: user, nice, system, irq, softirq and steal of the {@code cpu} line; -1 if unknown. */
    private static long machineBusyTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = first.trim().split("\\s+");
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]) + Long.parseLong(f[8]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long jvmCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** utime + stime per backend, or {@code null} when a backend's /proc entry cannot be read (remote server). */
    private @Nullable Map<Integer, Long> backendTicks() {
        List<Integer> pids = BenchSql.query(admin, BACKENDS, row -> row.get(0, Integer.class), applicationName)
                .collectList()
                .block();
        Map<Integer, Long> ticks = new HashMap<>();
        for (int pid : pids == null ? List.<Integer>of() : pids) {
            Long t = ticksOf(pid);
            if (t == null) {
                return null;
            }
            ticks.put(pid, t);
        }
        return ticks;
    }

    private static @Nullable Long ticksOf(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
            if (!stat.contains("(postgres)")) {
                // The pid belongs to another machine's server and names an unrelated local process.
                return null;
            }
            // Fields after the command name (which may contain spaces): state is the first, utime the 12th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
