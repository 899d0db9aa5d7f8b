package io.flowfabric.core.streams;

/**
 * Which frames a read, tail or follow returns. Best-effort frames whose TTL has passed are never returned, whatever
 * the visibility.
 *
 * @since 0.1
 */
public enum Visibility {
    /** Every retained frame. */
    ALL,
    /** Durable and summary frames only. */
    EXCLUDE_BEST_EFFORT
}
