package io.flowfabric.core.execution;

import java.time.Instant;

/**
 * What {@code fail} did: scheduled a retry or ended the execution as failed (spec 02 §5.2). A replay of the same
 * {@code fail} by the same lease returns the same value.
 *
 * @since 0.1
 */
public sealed interface FailOutcome permits FailOutcome.RetryScheduled, FailOutcome.TerminalFailed {

    /**
     * A retry was scheduled.
     *
     * @param nextAttemptIndex the index the next claim will give the new attempt
     * @param retryAt          when the execution becomes claimable again, on the database clock
     */
    record RetryScheduled(int nextAttemptIndex, Instant retryAt) implements FailOutcome {
    }

    /** No retry remained or the failure class is never retried; the execution is terminal {@code failed}. */
    record TerminalFailed() implements FailOutcome {
    }
}
