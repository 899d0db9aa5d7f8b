package io.flowfabric.core.policy;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The delay before a retry (spec 02 §3). For retry number r (0-based: the {@code retry_count} before the increment)
 * the base delay is {@code delay} for {@link Fixed} and {@code min(max, initial × multiplier^r)} for
 * {@link Exponential}; with jitter j the result is the base multiplied by {@code 1 − j × U[0,1)}, rounded to whole
 * milliseconds. Jitter only ever shortens a delay.
 *
 * @since 0.1
 */
public sealed interface Backoff permits Backoff.Fixed, Backoff.Exponential {

    /**
     * A fixed delay without jitter.
     *
     * @param delay the delay, 0..7 days in whole milliseconds; zero retries immediately
     * @return the backoff
     */
    static Fixed fixed(Duration delay) {
        return new Fixed(delay, 0.0);
    }

    /**
     * An exponential delay without jitter.
     *
     * @param initial    the delay of retry 0, positive, at most 7 days
     * @param multiplier the growth factor, 1.0..10.0
     * @param max        the cap, positive, at most 7 days
     * @return the backoff
     */
    static Exponential exponential(Duration initial, double multiplier, Duration max) {
        return new Exponential(initial, multiplier, max, 0.0);
    }

    /**
     * The default backoff: exponential, initial 1 s, multiplier 2.0, max 60 s, jitter 0.
     *
     * @return the default backoff
     */
    static Exponential defaults() {
        return Exponential.DEFAULT;
    }

    /** @return the jitter factor, 0.0..1.0 */
    double jitter();

    /**
     * A copy with another jitter factor.
     *
     * @param jitter 0.0..1.0
     * @return the copy
     */
    Backoff withJitter(double jitter);

    /**
     * The delay before retry number {@code retryNumber}, with the jitter draw given. Pure.
     *
     * @param retryNumber the 0-based retry number
     * @param uniform01   a uniform draw in [0, 1)
     * @return the delay in whole milliseconds, never negative
     * @throws IllegalArgumentException for a negative retry number or a draw outside [0, 1]
     */
    Duration delayFor(int retryNumber, double uniform01);

    /**
     * The delay before retry number {@code retryNumber}, drawing the jitter from {@link ThreadLocalRandom}.
     *
     * @param retryNumber the 0-based retry number
     * @return the delay in whole milliseconds, never negative
     */
    default Duration delayFor(int retryNumber) {
        return delayFor(retryNumber, ThreadLocalRandom.current().nextDouble());
    }

    /**
     * The same delay before every retry.
     *
     * @param delay  the delay, 0..7 days in whole milliseconds; zero retries immediately
     * @param jitter the jitter factor, 0.0..1.0
     */
    record Fixed(Duration delay, double jitter) implements Backoff {

        /**
         * Creates the backoff.
         *
         * @param delay  the delay, 0..7 days in whole milliseconds
         * @param jitter the jitter factor, 0.0..1.0
         * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the field
         */
        public Fixed {
            PolicyChecks.durationInRange("retry.backoff.delay", delay, Duration.ZERO, PolicyChecks.SEVEN_DAYS);
            PolicyChecks.doubleInRange("retry.backoff.jitter", jitter, 0.0, 1.0);
        }

        @Override
        public Fixed withJitter(double jitter) {
            return new Fixed(delay, jitter);
        }

        @Override
        public Duration delayFor(int retryNumber, double uniform01) {
            BackoffMath.checkArguments(retryNumber, uniform01);
            return BackoffMath.jittered(delay.toMillis(), jitter, uniform01);
        }
    }

    /**
     * A delay that grows by {@code multiplier} per retry up to {@code max}.
     *
     * @param initial    the delay of retry 0, positive, at most 7 days
     * @param multiplier the growth factor, 1.0..10.0
     * @param max        the cap, positive, at most 7 days
     * @param jitter     the jitter factor, 0.0..1.0
     */
    record Exponential(Duration initial, double multiplier, Duration max, double jitter) implements Backoff {

        static final Exponential DEFAULT = new Exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60), 0.0);

        /**
         * Creates the backoff.
         *
         * @param initial    the delay of retry 0, positive, at most 7 days
         * @param multiplier the growth factor, 1.0..10.0
         * @param max        the cap, positive, at most 7 days
         * @param jitter     the jitter factor, 0.0..1.0
         * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the field
         */
        public Exponential {
            PolicyChecks.durationInRange("retry.backoff.initial", initial, Duration.ofMillis(1),
                    PolicyChecks.SEVEN_DAYS);
            PolicyChecks.doubleInRange("retry.backoff.multiplier", multiplier, 1.0, 10.0);
            PolicyChecks.durationInRange("retry.backoff.max", max, Duration.ofMillis(1), PolicyChecks.SEVEN_DAYS);
            PolicyChecks.doubleInRange("retry.backoff.jitter", jitter, 0.0, 1.0);
        }

        @Override
        public Exponential withJitter(double jitter) {
            return new Exponential(initial, multiplier, max, jitter);
        }

        @Override
        public Duration delayFor(int retryNumber, double uniform01) {
            BackoffMath.checkArguments(retryNumber, uniform01);
            long initialMs = initial.toMillis();
            long maxMs = max.toMillis();
            long baseMs;
            if (initialMs >= maxMs) {
                baseMs = maxMs;
            } else {
                // initialMs > 0 and multiplier >= 1, so the product is finite or +Infinity, never NaN; any value at
                // or above the cap (including an overflowed power) yields the cap.
                double grown = initialMs * Math.pow(multiplier, retryNumber);
                baseMs = grown >= maxMs ? maxMs : Math.round(grown);
            }
            return BackoffMath.jittered(baseMs, jitter, uniform01);
        }
    }
}
