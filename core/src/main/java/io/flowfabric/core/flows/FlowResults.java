package io.flowfabric.core.flows;

import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.FlowId;

/**
 * The results of flow structure operations (spec 03 §1–§5). Each sealed interface names the outcomes of one
 * operation; the "already" variants report an idempotent repeat that changed nothing.
 *
 * @since 0.1
 */
public final class FlowResults {

    private FlowResults() {
    }

    /** {@code createFlow}. */
    public sealed interface FlowCreated {
        FlowId flowId();

        record Created(FlowId flowId) implements FlowCreated {
        }

        record AlreadyExists(FlowId flowId) implements FlowCreated {
        }
    }

    /** {@code addExecutionToFlow}. */
    public sealed interface MemberAdded {
        int nodeCount();

        record Added(int nodeCount, long graphRevision) implements MemberAdded {
        }

        record AlreadyMember(int nodeCount) implements MemberAdded {
        }
    }

    /** {@code setEdgeGroupPolicy}. */
    public enum PolicySet { SET, ALREADY_SET }

    /** {@code stageDependencyEdge}: the new edge and the flow's graph revision after the stage. */
    public record Staged(EdgeId edgeId, long graphRevision) {
    }

    /** {@code applyDependency}. */
    public sealed interface ApplyResult {

        /**
         * @param unresolvedCount edges of the group not resolved yet
         * @param groupState      the group's decision after the apply (it may already have latched)
         */
        record Applied(int unresolvedCount, GroupDecision groupState) implements ApplyResult {
        }

        record AlreadyApplied() implements ApplyResult {
        }
    }
}
