package io.flowfabric.core.flows;

import io.flowfabric.core.id.ExecutionId;
import org.jspecify.annotations.Nullable;

/**
 * One upstream of an execution created with {@code dependsOn}: the edge is staged and applied in the creating
 * transaction, so the new execution is born blocked (or already decided).
 *
 * @param dataPassingRef optional name under which the upstream's result is copied (see {@link StageEdge})
 * @since 0.1
 */
public record Dependency(ExecutionId upstreamId, @Nullable String dataPassingRef) {

    public static Dependency on(ExecutionId upstream) {
        return new Dependency(upstream, null);
    }
}
