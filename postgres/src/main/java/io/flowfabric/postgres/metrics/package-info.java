/**
 * Internal: the engine's metrics seam. {@link io.flowfabric.postgres.metrics.EngineMetrics#none()} is used when no
 * {@code MeterRegistry} is supplied, so nothing touches Micrometer (an optional dependency) in that case.
 */
@NullMarked
package io.flowfabric.postgres.metrics;

import org.jspecify.annotations.NullMarked;
