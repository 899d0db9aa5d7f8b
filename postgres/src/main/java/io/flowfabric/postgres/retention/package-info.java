/**
 * Retention and pruning (spec 08 §2–§3): terminal executions and finished flows are deleted from every table after the
 * retention period; outboxes are pruned in cursor order behind a watermark; expired dedup rows and old worker events
 * are deleted; and the flow-summary projector keeps {@code ff_flow_summary} current, which flow retention reads.
 */
@NullMarked
package io.flowfabric.postgres.retention;

import org.jspecify.annotations.NullMarked;
