package io.flowfabric.core.flows;

import io.flowfabric.core.id.ExecutionId;

/**
 * One downstream's edge group: its policy, counts and latched decision (spec 03 §12).
 *
 * @param staged     n, the edges staged into the downstream
 * @param unresolved r = n − s − f − k
 * @param sealed     whether an edge was applied (the edge set is then fixed)
 * @since 0.1
 */
public record EdgeGroupSnapshot(ExecutionId downstreamId, EdgeGroupPolicy policy, int staged, int success, int failed,
                                int skipped, int unresolved, boolean sealed, GroupDecision decision,
                                boolean cancelSiblingsPending) {
}
