package io.flowfabric.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Latency samples in nanoseconds, recorded concurrently by many workers into a fixed-size array (each sample gets its
 * own slot, so recording is one atomic increment and one plain write). Read {@link #percentileMillis(double)} only
 * after the recording workers have finished and that completion was observed (for example by {@code block()}),
 * which orders their writes before the read.
 */
final class Latencies {

    private final long[] samples;
    private final AtomicInteger count = new AtomicInteger();

    Latencies(int capacity) {
        this.samples = new long[capacity];
    }

    /** Records one sample; samples beyond the capacity are counted but not kept. */
    void record(long nanos) {
        int slot = count.getAndIncrement();
        if (slot < samples.length) {
            samples[slot] = nanos;
        }
    }

    /** How many samples were recorded. */
    int count() {
        return count.get();
    }

    /**
     * The nearest-rank percentile: the smallest sample such that at least {@code q} of all samples are at or below
     * it.
     *
     * @param q a fraction in (0, 1], e.g. 0.99
     * @return the value in milliseconds, {@code NaN} without samples
     */
    double percentileMillis(double q) {
        int n = Math.min(count.get(), samples.length);
        if (n == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * n);
        return sorted[Math.max(0, Math.min(n, rank) - 1)] / 1_000_000.0;
    }
}
