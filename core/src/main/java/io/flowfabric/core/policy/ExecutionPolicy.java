package io.flowfabric.core.policy;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The policy of one execution (spec 02 §3), stored normalised with every default filled in.
 *
 * <table>
 *   <caption>Fields, defaults and rules</caption>
 *   <tr><th>Field</th><th>Default</th><th>Rule</th></tr>
 *   <tr><td>{@code retry}</td><td>{@link RetryPolicy#none()}</td><td>see {@link RetryPolicy}, {@link Backoff}</td></tr>
 *   <tr><td>{@code attemptTimeout}</td><td>none</td><td>1 s..7 days; active (leased) time of one attempt,
 *       accumulated across pauses</td></tr>
 *   <tr><td>{@code maxReclaimCount}</td><td>100</td><td>0..10 000</td></tr>
 *   <tr><td>{@code maxReplayCount}</td><td>10</td><td>0..1000</td></tr>
 *   <tr><td>{@code maxSignalsPerExecution}</td><td>10 000</td><td>1..100 000</td></tr>
 *   <tr><td>{@code stream.maxPayloadBytes}</td><td>65 536</td><td>1..1 048 576</td></tr>
 *   <tr><td>{@code stream.maxFramesPerAttempt}</td><td>100 000</td><td>1..10 000 000</td></tr>
 * </table>
 *
 * <p>Invalid values are rejected by the constructor with {@code Validation(INVALID_POLICY)} naming the field. The
 * JSON form ({@link #toJson()}, {@link #fromJson(String)}) has a stable field order and round-trips exactly.
 *
 * @param retry                     the retry policy
 * @param attemptTimeout            the attempt timeout, or {@code null} for none
 * @param maxReclaimCount           lost leases tolerated before the execution fails
 * @param maxReplayCount            operator replays allowed
 * @param maxSignalsPerExecution    signals accepted per execution
 * @param streamMaxPayloadBytes     the largest stream frame payload
 * @param streamMaxFramesPerAttempt frames retained per attempt
 * @since 0.1
 */
public record ExecutionPolicy(
        RetryPolicy retry,
        @Nullable Duration attemptTimeout,
        int maxReclaimCount,
        int maxReplayCount,
        int maxSignalsPerExecution,
        int streamMaxPayloadBytes,
        int streamMaxFramesPerAttempt) {

    /** Default {@code maxReclaimCount}. */
    public static final int DEFAULT_MAX_RECLAIM_COUNT = 100;
    /** Default {@code maxReplayCount}. */
    public static final int DEFAULT_MAX_REPLAY_COUNT = 10;
    /** Default {@code maxSignalsPerExecution}. */
    public static final int DEFAULT_MAX_SIGNALS_PER_EXECUTION = 10_000;
    /** Default {@code stream.maxPayloadBytes}. */
    public static final int DEFAULT_STREAM_MAX_PAYLOAD_BYTES = 65_536;
    /** Default {@code stream.maxFramesPerAttempt}. */
    public static final int DEFAULT_STREAM_MAX_FRAMES_PER_ATTEMPT = 100_000;

    private static final ExecutionPolicy DEFAULTS = new ExecutionPolicy(RetryPolicy.none(), null,
            DEFAULT_MAX_RECLAIM_COUNT, DEFAULT_MAX_REPLAY_COUNT, DEFAULT_MAX_SIGNALS_PER_EXECUTION,
            DEFAULT_STREAM_MAX_PAYLOAD_BYTES, DEFAULT_STREAM_MAX_FRAMES_PER_ATTEMPT);

    /**
     * Creates the policy.
     *
     * @param retry                     the retry policy
     * @param attemptTimeout            1 s..7 days in whole milliseconds, or {@code null}
     * @param maxReclaimCount           0..10 000
     * @param maxReplayCount            0..1000
     * @param maxSignalsPerExecution    1..100 000
     * @param streamMaxPayloadBytes     1..1 048 576
     * @param streamMaxFramesPerAttempt 1..10 000 000
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the invalid field
     */
    public ExecutionPolicy {
        Objects.requireNonNull(retry, "retry");
        if (attemptTimeout != null) {
            PolicyChecks.durationInRange("attemptTimeout", attemptTimeout, Duration.ofSeconds(1),
                    PolicyChecks.SEVEN_DAYS);
        }
        PolicyChecks.intInRange("maxReclaimCount", maxReclaimCount, 0, 10_000);
        PolicyChecks.intInRange("maxReplayCount", maxReplayCount, 0, 1000);
        PolicyChecks.intInRange("maxSignalsPerExecution", maxSignalsPerExecution, 1, 100_000);
        PolicyChecks.intInRange("stream.maxPayloadBytes", streamMaxPayloadBytes, 1, 1_048_576);
        PolicyChecks.intInRange("stream.maxFramesPerAttempt", streamMaxFramesPerAttempt, 1, 10_000_000);
    }

    /**
     * The policy of an execution created without one: no retries, no attempt timeout, default caps.
     *
     * @return the default policy
     */
    public static ExecutionPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from {@link #defaults()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /**
     * A builder starting from this policy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The attempt timeout, if any.
     *
     * @return the timeout, or empty for none
     */
    public Optional<Duration> attemptTimeoutOpt() {
        return Optional.ofNullable(attemptTimeout);
    }

    /**
     * The normalised JSON form, every field present, in a stable order, for example
     * {@code {"retry":{"maxRetries":3,"backoff":{"kind":"exponential","initialMs":1000,"multiplier":2.0,
     * "maxMs":60000,"jitter":0.0},"retryOn":["INFRA_CRASH","TRANSIENT"]},"attemptTimeoutMs":null,
     * "maxReclaimCount":100,"maxReplayCount":10,"maxSignalsPerExecution":10000,
     * "stream":{"maxPayloadBytes":65536,"maxFramesPerAttempt":100000}}}. A fixed backoff is
     * {@code {"kind":"fixed","delayMs":500,"jitter":0.0}}.
     *
     * @return the JSON text
     */
    public String toJson() {
        return PolicyJson.write(this);
    }

    /**
     * Reads the JSON form. Missing or {@code null} fields take their defaults: no {@code retry} means
     * {@link RetryPolicy#none()}; a {@code retry} object without {@code maxRetries} means 3. Unknown fields,
     * wrong types, malformed JSON and nesting deeper than 64 levels are rejected.
     *
     * @param json the JSON text
     * @return the policy
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the field or the problem
     */
    public static ExecutionPolicy fromJson(String json) {
        return PolicyJson.read(json);
    }

    /** Mutable builder of {@link ExecutionPolicy}; not thread-safe. Values are validated by {@link #build()}. */
    public static final class Builder {
        private RetryPolicy retry;
        private @Nullable Duration attemptTimeout;
        private int maxReclaimCount;
        private int maxReplayCount;
        private int maxSignalsPerExecution;
        private int streamMaxPayloadBytes;
        private int streamMaxFramesPerAttempt;

        private Builder(ExecutionPolicy from) {
            this.retry = from.retry;
            this.attemptTimeout = from.attemptTimeout;
            this.maxReclaimCount = from.maxReclaimCount;
            this.maxReplayCount = from.maxReplayCount;
            this.maxSignalsPerExecution = from.maxSignalsPerExecution;
            this.streamMaxPayloadBytes = from.streamMaxPayloadBytes;
            this.streamMaxFramesPerAttempt = from.streamMaxFramesPerAttempt;
        }

        /**
         * Sets the retry policy.
         *
         * @param retry the retry policy
         * @return this builder
         */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * Sets the attempt timeout.
         *
         * @param attemptTimeout 1 s..7 days, or {@code null} for none
         * @return this builder
         */
        public Builder attemptTimeout(@Nullable Duration attemptTimeout) {
            this.attemptTimeout = attemptTimeout;
            return this;
        }

        /**
         * Sets the number of lost leases tolerated.
         *
         * @param maxReclaimCount 0..10 000
         * @return this builder
         */
        public Builder maxReclaimCount(int maxReclaimCount) {
            this.maxReclaimCount = maxReclaimCount;
            return this;
        }

        /**
         * Sets the number of replays allowed.
         *
         * @param maxReplayCount 0..1000
         * @return this builder
         */
        public Builder maxReplayCount(int maxReplayCount) {
            this.maxReplayCount = maxReplayCount;
            return this;
        }

        /**
         * Sets the number of signals accepted.
         *
         * @param maxSignalsPerExecution 1..100 000
         * @return this builder
         */
        public Builder maxSignalsPerExecution(int maxSignalsPerExecution) {
            this.maxSignalsPerExecution = maxSignalsPerExecution;
            return this;
        }

        /**
         * Sets the largest stream frame payload.
         *
         * @param streamMaxPayloadBytes 1..1 048 576
         * @return this builder
         */
        public Builder streamMaxPayloadBytes(int streamMaxPayloadBytes) {
            this.streamMaxPayloadBytes = streamMaxPayloadBytes;
            return this;
        }

        /**
         * Sets the number of frames retained per attempt.
         *
         * @param streamMaxFramesPerAttempt 1..10 000 000
         * @return this builder
         */
        public Builder streamMaxFramesPerAttempt(int streamMaxFramesPerAttempt) {
            this.streamMaxFramesPerAttempt = streamMaxFramesPerAttempt;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return the policy
         * @throws io.flowfabric.core.error.ValidationException {@code INVALID_POLICY} naming the invalid field
         */
        public ExecutionPolicy build() {
            return new ExecutionPolicy(retry, attemptTimeout, maxReclaimCount, maxReplayCount,
                    maxSignalsPerExecution, streamMaxPayloadBytes, streamMaxFramesPerAttempt);
        }
    }
}
