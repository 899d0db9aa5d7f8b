package io.flowfabric.bench;

/**
 * The measurements of one lifecycle round of one system (the engine with a partition count, or the raw baseline).
 *
 * @param system       {@code engine} or {@code raw}
 * @param partitions   the engine's physical partition count; 0 for the baseline
 * @param n            executions (rows) created and processed
 * @param createNanos  wall time of the create (insert) phase
 * @param processNanos wall time of the claim-and-complete phase, from the workers' start to the last one's end
 * @param p50Ms        median claim-to-complete latency in milliseconds
 * @param p99Ms        99th percentile claim-to-complete latency in milliseconds
 * @param claimP50Ms   median duration of one claim call (a batch for the engine, one row for the baseline)
 * @param claimP99Ms   99th percentile duration of one claim call
 * @param createCpu    CPU used during the create phase
 * @param processCpu   CPU used during the claim-and-complete phase
 */
record LifecycleRun(String system, int partitions, int n, long createNanos, long processNanos, double p50Ms,
                    double p99Ms, double claimP50Ms, double claimP99Ms, CpuMeter.Use createCpu,
                    CpuMeter.Use processCpu) {

    /** Executions created per second. */
    double createPerSecond() {
        return perSecond(n, createNanos);
    }

    /** Executions claimed and completed per second. */
    double processPerSecond() {
        return perSecond(n, processNanos);
    }

    /** Executions through their whole lifecycle per second: n / (create time + process time). */
    double totalPerSecond() {
        return perSecond(n, createNanos + processNanos);
    }

    /** JVM CPU microseconds per execution over both phases. */
    double jvmCpuMicrosPerExecution() {
        return createJvmMicros() + processJvmMicros();
    }

    /** PostgreSQL backend CPU microseconds per execution over both phases; {@code NaN} when unknown. */
    double pgCpuMicrosPerExecution() {
        return createPgMicros() + processPgMicros();
    }

    /** JVM CPU microseconds per execution in the create phase. */
    double createJvmMicros() {
        return micros(createCpu.jvmNanos());
    }

    /** PostgreSQL backend CPU microseconds per execution in the create phase; {@code NaN} when unknown. */
    double createPgMicros() {
        return micros(createCpu.pgNanos());
    }

    /** JVM CPU microseconds per execution in the process phase. */
    double processJvmMicros() {
        return micros(processCpu.jvmNanos());
    }

    /** PostgreSQL backend CPU microseconds per execution in the process phase; {@code NaN} when unknown. */
    double processPgMicros() {
        return micros(processCpu.pgNanos());
    }

    private double micros(long nanos) {
        return nanos < 0 ? Double.NaN : nanos / 1_000.0 / n;
    }

    /**
     * The share of the machine's CPU capacity that processes other than this JVM and the measured backends used during
     * both phases (other benchmarks, test suites, PostgreSQL's own background processes), 0..1; {@code NaN} when
     * unknown. A high value means the round competed for the CPUs.
     */
    double othersCpuShare() {
        if (createCpu.machineNanos() < 0 || processCpu.machineNanos() < 0 || Double.isNaN(pgCpuMicrosPerExecution())) {
            return Double.NaN;
        }
        long others = createCpu.machineNanos() + processCpu.machineNanos() - createCpu.jvmNanos()
                - processCpu.jvmNanos() - createCpu.pgNanos() - processCpu.pgNanos();
        double capacity = (double) (createNanos + processNanos) * Runtime.getRuntime().availableProcessors();
        return Math.max(0, others) / capacity;
    }

    /** The row label: {@code raw} or {@code engine P=<p>}. */
    String label() {
        return partitions == 0 ? system : system + " P=" + partitions;
    }

    private static double perSecond(long count, long nanos) {
        return nanos <= 0 ? Double.NaN : count * 1_000_000_000.0 / nanos;
    }
}
