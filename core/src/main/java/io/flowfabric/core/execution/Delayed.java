package io.flowfabric.core.execution;

import java.time.Instant;

/**
 * The result of {@code delay}: the attempt is paused until {@code delayUntil} (database clock), after which the next
 * claim continues it as {@link io.flowfabric.core.lease.HandleKind#RESUMED}.
 *
 * @since 0.1
 */
public record Delayed(Instant delayUntil) {
}
