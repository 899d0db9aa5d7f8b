package io.flowfabric.core.spi;

import io.flowfabric.core.execution.Page;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.flows.FlowEligibility;
import io.flowfabric.core.flows.FlowQuery;
import io.flowfabric.core.flows.FlowResults;
import io.flowfabric.core.flows.FlowSnapshot;
import io.flowfabric.core.flows.FlowSummary;
import io.flowfabric.core.flows.StageEdge;
import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Flows: structure, edges, decisions and cancellation (spec 03). Completion events of members are dispatched by the
 * engine itself (a LISTEN-driven dispatcher on every node with a reconciler backstop): resolving edges, latching group
 * decisions, releasing or skipping downstreams and cancelling siblings need no call from the application.
 *
 * @since 0.1
 */
public interface FlowOperations {

    /** Creates an open flow; an existing id emits {@code AlreadyExists} and changes nothing. */
    Mono<FlowResults.FlowCreated> createFlow(CreateFlow request);

    /** The flow with its groups, or empty. */
    Mono<Optional<FlowSnapshot>> describeFlow(FlowId flowId);

    /**
     * One keyset page of flows, by partition (ordered by flow id) or by namespace (ordered by creation time, then flow
     * id). Each entry carries the stored and the derived state.
     *
     * @param cursor {@code null} for the first page, else the previous page's {@code nextCursor}; a cursor of another
     *               listing is {@code ValidationException(INVALID_CURSOR)}
     * @param limit  0..1000 (0 gives an empty page without a cursor); above 1000 is
     *               {@code ValidationException(LIMIT_EXCEEDED)}, below 0 {@code ValidationException(INVALID_INPUT)}
     * @return a cold {@link Mono} of the page; a query without exactly one of partition (0..255) or namespace is
     *         {@code ValidationException(INVALID_INPUT)}
     */
    Mono<Page<FlowSummary>> listFlows(FlowQuery query, @Nullable String cursor, int limit);

    /**
     * Makes an existing execution (minted for this flow's partition) a member. Errors: {@code NotFound(FLOW)},
     * {@code State(FLOW_TERMINAL)}, {@code NotFound(EXECUTION)}, {@code Validation(PARTITION_MISMATCH)},
     * {@code Validation(NAMESPACE_MISMATCH)}, {@code Conflict(MEMBER_OF_OTHER_FLOW)}.
     */
    Mono<FlowResults.MemberAdded> addExecutionToFlow(FlowId flowId, ExecutionId executionId);

    /**
     * Sets the policy of a downstream's edge group; fixed once an edge into it is staged
     * ({@code Validation(POLICY_FIXED)}); an identical policy emits {@code ALREADY_SET}.
     */
    Mono<FlowResults.PolicySet> setEdgeGroupPolicy(FlowId flowId, ExecutionId downstreamId, EdgeGroupPolicy policy);

    /**
     * Stages an edge with a compare-and-set on the graph revision. Errors: {@code Validation(SELF_EDGE)},
     * {@code Contention(STALE_GRAPH_REVISION)}, {@code Validation(NOT_FLOW_MEMBER)}, {@code State(ALREADY_TERMINAL)},
     * {@code Conflict(GROUP_SEALED)}, {@code Conflict(DEPENDENCY_ALREADY_EXISTS)}, {@code Validation(CYCLE_DETECTED)}.
     */
    Mono<FlowResults.Staged> stageDependencyEdge(StageEdge request);

    /**
     * Applies a staged edge: seals the downstream's group, blocks a downstream that has not started, and resolves the
     * edge at once when its upstream is already terminal.
     */
    Mono<FlowResults.ApplyResult> applyDependency(FlowId flowId, EdgeId edgeId);

    /** The edges out of ({@code outgoing}) or into one member, ordered by edge id. */
    Flux<EdgeSnapshot> listEdges(FlowId flowId, ExecutionId member, boolean outgoing);

    /** One edge of the flow, or empty when the flow has no edge with this id. */
    Mono<Optional<EdgeSnapshot>> describeEdge(FlowId flowId, EdgeId edgeId);

    /**
     * Whether dependencies let an execution run (spec 03 §12): {@code NOT_FOUND} when it does not exist,
     * {@code TERMINAL} when it ended, {@code OWNED} when active or suspended; otherwise, for the downstream of a
     * sealed edge group, {@code BLOCKED_BY_DEPENDENCIES} while the group is pending and {@code IMPOSSIBLE} once it is
     * impossible; {@code ELIGIBLE} in every other case. A read: it changes nothing.
     */
    Mono<FlowEligibility> evaluateFlowEligibility(ExecutionId executionId);

    /** One downstream's group, or empty when no edge was staged into it and no policy set. */
    Mono<Optional<EdgeGroupSnapshot>> readEdgeGroup(FlowId flowId, ExecutionId downstreamId);

    /**
     * Cancels a flow: marks it cancelled, blocks the selected members at once and cancels them (revoking leases,
     * writing completion events) in the background, or within the call when the request asks to wait.
     */
    Mono<CancelFlow.Result> cancelFlow(CancelFlow request);
}
