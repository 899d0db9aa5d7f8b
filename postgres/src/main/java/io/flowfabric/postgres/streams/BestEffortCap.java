package io.flowfabric.postgres.streams;

import org.jspecify.annotations.Nullable;

/**
 * The dynamic length cap of best-effort frames (spec 05 §5), as pure arithmetic over the meta row's values.
 *
 * @param emaRateHz the new moving-average append rate
 * @param maxlen    the target length K
 * @param trim      whether the best-effort count exceeds K by more than the slack, so a trim to K is due
 */
record BestEffortCap(double emaRateHz, int maxlen, boolean trim) {

    /**
     * Computes the cap after appending a best-effort frame.
     *
     * @param tsMs            the new frame's timestamp
     * @param lastBestEffortTs the previous best-effort frame's timestamp, or {@code null} when this is the first
     * @param previousEma     the previous moving average
     * @param alpha           the moving-average weight, 0 &lt; α ≤ 1
     * @param ttlMs           the frame's TTL in milliseconds
     * @param floor           the smallest K
     * @param ceiling         the largest K
     * @param bestEffortCount best-effort frames retained, the new one included
     */
    static BestEffortCap compute(long tsMs, @Nullable Long lastBestEffortTs, double previousEma, double alpha,
                                 long ttlMs, int floor, int ceiling, long bestEffortCount) {
        double instant = lastBestEffortTs == null ? 0 : 1000.0 / Math.max(tsMs - lastBestEffortTs, 1);
        double ema = alpha * instant + (1 - alpha) * previousEma;
        double raw = Math.ceil(ema * ttlMs / 1000.0) * 2;
        int k = (int) Math.max(floor, Math.min(ceiling, raw));
        long slack = Math.max(16, k / 8);
        return new BestEffortCap(ema, k, bestEffortCount > k + slack);
    }
}
