package io.flowfabric.core.flows;

import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import org.jspecify.annotations.Nullable;

/**
 * A request to stage one dependency edge (spec 03 §4), guarded by a compare-and-set on the flow's graph revision.
 *
 * @param edgeId                the id to use; random when {@code null}
 * @param dataPassingRef        when the edge resolves as success, copy the upstream's result into the downstream's
 *                              dependency inputs under this name ({@code $input} replaces the downstream's input)
 * @param expectedGraphRevision the revision the caller last read; another value is
 *                              {@code ContentionException(STALE_GRAPH_REVISION)}
 * @since 0.1
 */
public record StageEdge(FlowId flowId, @Nullable EdgeId edgeId, ExecutionId upstreamId, ExecutionId downstreamId,
                        @Nullable String dataPassingRef, long expectedGraphRevision) {

    /** A success-only edge without data passing. */
    public static StageEdge of(FlowId flow, ExecutionId upstream, ExecutionId downstream, long expectedRevision) {
        return new StageEdge(flow, null, upstream, downstream, null, expectedRevision);
    }

    public StageEdge withDataPassing(String ref) {
        return new StageEdge(flowId, edgeId, upstreamId, downstreamId, ref, expectedGraphRevision);
    }
}
