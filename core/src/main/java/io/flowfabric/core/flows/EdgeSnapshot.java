package io.flowfabric.core.flows;

import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.ExecutionId;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One edge (spec 03 §12).
 *
 * @param state      {@code staged}, {@code applied} or {@code resolved}
 * @param resolution {@code success}, {@code failed} or {@code skipped} once resolved
 * @since 0.1
 */
public record EdgeSnapshot(EdgeId edgeId, ExecutionId upstreamId, ExecutionId downstreamId, String dependencyKind,
                           @Nullable String dataPassingRef, String state, @Nullable String resolution,
                           Instant stagedAt, @Nullable Instant appliedAt, @Nullable Instant resolvedAt) {
}
