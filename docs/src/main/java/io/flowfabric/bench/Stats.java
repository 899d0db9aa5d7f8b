package io.flowfabric.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** Summary statistics over rounds. */
final class Stats {

    private Stats() {
    }

    /** The median of {@code f} over {@code items}: the middle value, or the mean of the two middle values. */
    static <T> double median(List<T> items, ToDoubleFunction<T> f) {
        if (items.isEmpty()) {
            return Double.NaN;
        }
        double[] values = items.stream().mapToDouble(f).sorted().toArray();
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    /** Events per second for {@code count} events in {@code nanos}. */
    static double perSecond(long count, long nanos) {
        return nanos <= 0 ? Double.NaN : count * 1_000_000_000.0 / nanos;
    }

    /** The values, for checks in tests and messages. */
    static String describe(double... values) {
        return Arrays.toString(values);
    }
}
