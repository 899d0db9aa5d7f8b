package io.flowfabric.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine's load average as {@code /proc/loadavg} reports it (1, 5 and 15 minutes), printed by the scenarios at
 * their start and end: on a shared machine the figures only mean something next to the load they were measured
 * under.
 */
final class MachineLoad {

    private MachineLoad() {
    }

    /**
     * The three load averages, e.g. {@code "7.66 9.49 11.78"}; the JVM's one-minute figure when {@code /proc} cannot
     * be read.
     */
    static String averages() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim()
                    .split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f (1 min, from the JVM)",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    /** One line for a report: CPUs and the load averages now. */
    static String describe() {
        return String.format(Locale.ROOT, "%d CPUs, load average %s (1/5/15 min)",
                Runtime.getRuntime().availableProcessors(), averages());
    }
}
