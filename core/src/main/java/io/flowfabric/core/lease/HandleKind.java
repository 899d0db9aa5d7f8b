package io.flowfabric.core.lease;

/**
 * How the claim that produced a handle related to the execution's attempts (spec 01 §6.1). The kind travels with
 * the handle object but is not part of its bytes.
 *
 * @since 0.1
 */
public enum HandleKind {
    /** A new attempt was inserted (initial, retry or replay). */
    FRESH,
    /** The paused current attempt was continued. */
    RESUMED,
    /** A new {@code reclaim} attempt was inserted after a lost lease. */
    RECLAIMED
}
