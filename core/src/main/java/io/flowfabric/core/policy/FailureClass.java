package io.flowfabric.core.policy;

/**
 * The class a worker gives a failure (spec 02 §3, §5.2); the retry policy decides per class whether to retry.
 *
 * @since 0.1
 */
public enum FailureClass {
    /** A transient error (network blip, overloaded dependency). Retried by default. */
    TRANSIENT,
    /** The worker's infrastructure crashed. Retried by default. */
    INFRA_CRASH,
    /** The work timed out. Retried only when the policy lists it. */
    TIMEOUT,
    /** The work can never succeed. Never retried. */
    PERMANENT,
    /** The work was cancelled. Never retried. */
    CANCELLED;

    /**
     * Whether this class is never retried, whatever the policy says.
     *
     * @return true for {@link #PERMANENT} and {@link #CANCELLED}
     */
    public boolean neverRetried() {
        return this == PERMANENT || this == CANCELLED;
    }
}
