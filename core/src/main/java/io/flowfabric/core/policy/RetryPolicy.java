package io.flowfabric.core.policy;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * When and how a failed attempt is retried (spec 02 §3, §5.2).
 *
 * <p>A failure is retried when its class is in {@code retryOn}, is neither {@code PERMANENT} nor {@code CANCELLED},
 * and the execution's {@code retry_count} is below {@code maxRetries}. Defaults: {@code maxRetries} 0 when no retry
 * policy is given ({@link #none()}), 3 when a retry policy is given without it ({@link #builder()}); backoff
 * exponential 1 s × 2.0, max 60 s, no jitter; {@code retryOn} {@code TRANSIENT} and {@code INFRA_CRASH}.
 *
 * @param maxRetries the number of retries after the first attempt, 0..1000
 * @param backoff    the delay before each retry
 * @param retryOn    the failure classes that are retried; stored as an immutable set
 * @since 0.1
 */
public record RetryPolicy(int maxRetries, Backoff backoff, Set<FailureClass> retryOn) {

    /** {@code maxRetries} when a retry policy is given without it. */
    public static final int DEFAULT_MAX_RETRIES = 3;

    private static final Set<FailureClass> DEFAULT_RETRY_ON =
            Collections.unmodifiableSet(EnumSet.of(FailureClass.TRANSIENT, FailureClass.INFRA_CRASH));
    private static final RetryPolicy NONE = new RetryPolicy(0, Backoff.defaults(), DEFAULT_RETRY_ON);

    /**
     * Creates the policy.
     *
     * @param maxRetries 0..1000
     * @param backoff    the backoff
     * @param retryOn    the retried failure classes
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} for {@code maxRetries} out of range
     */
    public RetryPolicy {
        PolicyChecks.intInRange("retry.maxRetries", maxRetries, 0, 1000);
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(retryOn, "retryOn");
        EnumSet<FailureClass> copy = EnumSet.noneOf(FailureClass.class);
        for (FailureClass cls : retryOn) {
            copy.add(Objects.requireNonNull(cls, "retryOn element"));
        }
        retryOn = Collections.unmodifiableSet(copy);
    }

    /**
     * The policy in force when none is given: no retries.
     *
     * @return {@code maxRetries} 0 with the default backoff and classes
     */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * A builder whose defaults are those of a retry policy given without values: 3 retries, the default backoff and
     * the default classes.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether a failure of class {@code cls} is retried when {@code retryCount} retries have already happened.
     *
     * @param cls        the failure class
     * @param retryCount the execution's {@code retry_count} before this failure
     * @return true to schedule a retry, false to fail terminally
     */
    public boolean shouldRetry(FailureClass cls, int retryCount) {
        Objects.requireNonNull(cls, "cls");
        return !cls.neverRetried() && retryOn.contains(cls) && retryCount < maxRetries;
    }

    /** Mutable builder of {@link RetryPolicy}; not thread-safe. Values are validated by {@link #build()}. */
    public static final class Builder {
        private int maxRetries = DEFAULT_MAX_RETRIES;
        private Backoff backoff = Backoff.defaults();
        private Set<FailureClass> retryOn = DEFAULT_RETRY_ON;

        private Builder() {
        }

        /**
         * Sets the number of retries.
         *
         * @param maxRetries 0..1000
         * @return this builder
         */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /**
         * Sets the backoff.
         *
         * @param backoff the backoff
         * @return this builder
         */
        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /**
         * Sets the retried failure classes, replacing the defaults.
         *
         * @param retryOn the classes
         * @return this builder
         */
        public Builder retryOn(Collection<FailureClass> retryOn) {
            Objects.requireNonNull(retryOn, "retryOn");
            EnumSet<FailureClass> copy = EnumSet.noneOf(FailureClass.class);
            copy.addAll(retryOn);
            this.retryOn = copy;
            return this;
        }

        /**
         * Sets the retried failure classes, replacing the defaults.
         *
         * @param retryOn the classes
         * @return this builder
         */
        public Builder retryOn(FailureClass... retryOn) {
            return retryOn(Arrays.asList(retryOn));
        }

        /**
         * Builds the policy.
         *
         * @return the policy
         * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the invalid field
         */
        public RetryPolicy build() {
            return new RetryPolicy(maxRetries, backoff, retryOn);
        }
    }
}
