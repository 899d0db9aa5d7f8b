package io.flowfabric.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An open-loop load generator: issues {@code count} actions at an offered rate, whatever the system does with them,
 * so a slow system faces a growing queue instead of a politely slowed producer (a closed loop would hide latency).
 *
 * <p>A dedicated thread ticks every millisecond and issues every action that is due by then (action {@code i} is due
 * at {@code i / rate} seconds after the start), so a late tick catches up with a burst and the mean rate stays
 * exact. At most {@code maxInFlight} actions run at once; when that cap is reached the generator falls behind
 * schedule, which the {@link Outcome} reports as an achieved rate below the offered one. Actions are subscribed on
 * the ticking thread and must not block; they run on whatever threads their {@code Mono}s use.
 */
final class OpenLoop {

    private OpenLoop() {
    }

    /**
     * What a run achieved.
     *
     * @param issued       actions issued
     * @param succeeded    actions whose {@code Mono} completed without error
     * @param failed       actions whose {@code Mono} errored
     * @param issueNanos   from the start to the last issue
     * @param offeredRate  the rate asked for, per second
     * @param firstError   the first error, if any
     */
    record Outcome(int issued, int succeeded, int failed, long issueNanos, double offeredRate,
                   @Nullable Throwable firstError) {

        /** The rate at which actions were actually issued, per second. */
        double achievedRate() {
            // The first action is due at time 0, so n actions on schedule take (n - 1) / rate.
            double seconds = issueNanos / 1e9 + 1 / offeredRate;
            return issued / seconds;
        }

        /** Whether the generator kept within 5 % of the offered rate. */
        boolean onSchedule() {
            return achievedRate() >= 0.95 * offeredRate;
        }
    }

    /** Issues the actions {@code first .. first + size - 1} as one call. */
    @FunctionalInterface
    interface Batch {
        Mono<?> issue(int first, int size);
    }

    /**
     * Issues {@code count} actions at {@code perSecond}, one call each, then waits until all have terminated. Blocks
     * the calling (main) thread.
     *
     * @param action  creates action {@code i} (0-based); called on the ticking thread
     * @param timeout how long to wait for everything, issuing included
     * @throws IllegalStateException when the actions did not all terminate within {@code timeout}
     */
    static Outcome run(int count, double perSecond, int maxInFlight, IntFunction<Mono<?>> action, Duration timeout) {
        return runBatched(count, perSecond, maxInFlight, 1, (first, size) -> action.apply(first), timeout);
    }

    /**
     * Like {@link #run}, but each tick issues everything due as calls of up to {@code maxBatch} actions; an action's
     * outcome is its call's. For producers that can write many items in one statement.
     */
    static Outcome runBatched(int count, double perSecond, int maxInFlight, int maxBatch, Batch batch,
                              Duration timeout) {
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        long[] lastIssue = new long[1];
        CountDownLatch done = new CountDownLatch(count);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-open-loop");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        try {
            ticker.scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                long due = Math.min(count, (long) Math.floor((now - start) * perSecond / 1e9) + 1);
                while (issued.get() < due && inFlight.get() < maxInFlight) {
                    int first = issued.get();
                    int size = (int) Math.min(maxBatch, due - first);
                    issued.addAndGet(size);
                    inFlight.incrementAndGet();
                    lastIssue[0] = System.nanoTime();
                    Mono<?> mono;
                    try {
                        mono = batch.issue(first, size);
                    } catch (RuntimeException e) {
                        mono = Mono.error(e);
                    }
                    mono.subscribe(v -> { }, e -> {
                        firstError.compareAndSet(null, e);
                        failed.addAndGet(size);
                        inFlight.decrementAndGet();
                        countDown(done, size);
                    }, () -> {
                        succeeded.addAndGet(size);
                        inFlight.decrementAndGet();
                        countDown(done, size);
                    });
                }
                if (issued.get() >= count) {
                    throw new StopTicking();
                }
            }, 0, 1, TimeUnit.MILLISECONDS);
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("open loop: only " + (count - done.getCount()) + " of " + count
                        + " actions ended within " + timeout + " (" + issued.get() + " issued)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            ticker.shutdownNow();
        }
        // lastIssue was written on the ticking thread before the actions it issued ended; the latch orders it.
        return new Outcome(issued.get(), succeeded.get(), failed.get(), lastIssue[0] - start, perSecond,
                firstError.get());
    }

    private static void countDown(CountDownLatch latch, int times) {
        for (int i = 0; i < times; i++) {
            latch.countDown();
        }
    }

    /** Thrown by the tick once everything is issued: a periodic task that throws is not run again. */
    private static final class StopTicking extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StopTicking() {
            super("all issued", null, false, false);
        }
    }
}
