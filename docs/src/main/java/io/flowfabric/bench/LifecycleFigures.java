package io.flowfabric.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The reported figures of the lifecycle scenario for one system: of one round, or the medians over rounds (each
 * figure's median taken on its own, so the median total is not recomputed from the median phases).
 *
 * @param label            {@code raw} or {@code engine P=<p>}
 * @param createPerSecond  executions (rows) created per second
 * @param processPerSecond executions claimed and completed per second
 * @param totalPerSecond   n / (create time + process time)
 * @param p50Ms            median claim-to-complete latency, milliseconds
 * @param p99Ms            99th percentile claim-to-complete latency, milliseconds
 * @param claimP50Ms       median duration of one claim call, milliseconds
 * @param claimP99Ms       99th percentile duration of one claim call, milliseconds
 * @param jvmCpuMicros     JVM CPU per execution, microseconds
 * @param pgCpuMicros      PostgreSQL backend CPU per execution, microseconds ({@code NaN} when unknown)
 * @param createJvmMicros  JVM CPU per execution in the create phase, microseconds
 * @param createPgMicros   PostgreSQL backend CPU per execution in the create phase, microseconds
 * @param processJvmMicros JVM CPU per execution in the process phase, microseconds
 * @param processPgMicros  PostgreSQL backend CPU per execution in the process phase, microseconds
 */
record LifecycleFigures(String label, double createPerSecond, double processPerSecond, double totalPerSecond,
                        double p50Ms, double p99Ms, double claimP50Ms, double claimP99Ms, double jvmCpuMicros,
                        double pgCpuMicros, double createJvmMicros, double createPgMicros, double processJvmMicros,
                        double processPgMicros) {

    /** The figures of one round. */
    static LifecycleFigures of(LifecycleRun run) {
        return median(List.of(run));
    }

    /** The median of each figure over the rounds of one system; {@code runs} must not be empty. */
    static LifecycleFigures median(List<LifecycleRun> runs) {
        return new LifecycleFigures(runs.get(0).label(),
                median(runs, LifecycleRun::createPerSecond),
                median(runs, LifecycleRun::processPerSecond),
                median(runs, LifecycleRun::totalPerSecond),
                median(runs, LifecycleRun::p50Ms),
                median(runs, LifecycleRun::p99Ms),
                median(runs, LifecycleRun::claimP50Ms),
                median(runs, LifecycleRun::claimP99Ms),
                median(runs, LifecycleRun::jvmCpuMicrosPerExecution),
                median(runs, LifecycleRun::pgCpuMicrosPerExecution),
                median(runs, LifecycleRun::createJvmMicros),
                median(runs, LifecycleRun::createPgMicros),
                median(runs, LifecycleRun::processJvmMicros),
                median(runs, LifecycleRun::processPgMicros));
    }

    /** The middle value, or the mean of the two middle values; {@code NaN} sorts last, as unknown. */
    private static double median(List<LifecycleRun> runs, ToDoubleFunction<LifecycleRun> figure) {
        double[] values = runs.stream().mapToDouble(figure).sorted().toArray();
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
