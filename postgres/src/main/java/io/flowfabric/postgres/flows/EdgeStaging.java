package io.flowfabric.postgres.flows;

import io.flowfabric.core.error.ConflictException;
import io.flowfabric.core.error.ContentionException;
import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.flows.FlowResults;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Staging (spec 03 §4) and applying (§5) edges, in the caller's transaction. Shared by the flow operations and by
 * {@code createExecution(dependsOn)}, which stages and applies all of a new execution's edges in its own transaction.
 */
final class EdgeStaging {

    static final int MAX_EDGES_PER_FLOW = 10_000;
    static final int MAX_EDGES_PER_DOWNSTREAM = 1_000;

    private static final String CAS_FLOW = """
            UPDATE {s}.ff_flow_core SET graph_revision = graph_revision + 1, edge_count = edge_count + 1,
                   last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND flow_id = $2 AND public_flow_state = 'open'
              AND ($3::bigint IS NULL OR graph_revision = $3::bigint)
            RETURNING graph_revision, edge_count""";

    private static final String FLOW_STATE = """
            SELECT public_flow_state, graph_revision FROM {s}.ff_flow_core WHERE partition_key = $1 AND flow_id = $2""";

    private static final String MEMBERS = """
            SELECT execution_id, flow_id, lifecycle_phase FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = ANY($2::uuid[])""";

    private static final String ENSURE_GROUP = """
            INSERT INTO {s}.ff_edge_group (partition_key, flow_id, downstream_id, policy_kind, quorum_k, on_satisfied,
                group_state)
            VALUES ($1, $2, $3, $4, $5, $6, 'pending')
            ON CONFLICT (partition_key, flow_id, downstream_id) DO NOTHING""";

    private static final String EXISTING_EDGE = """
            SELECT edge_id FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2 AND (edge_id = $3 OR (upstream_id = $4 AND downstream_id = $5))
            LIMIT 1""";

    /** Is the upstream reachable from the downstream over staged edges? (Then the new edge closes a cycle.) */
    private static final String REACHES = """
            WITH RECURSIVE reach(node) AS (
              SELECT $3::uuid
              UNION
              SELECT e.downstream_id FROM {s}.ff_edge e JOIN reach r ON e.upstream_id = r.node
              WHERE e.partition_key = $1 AND e.flow_id = $2
            )
            SELECT 1 AS found FROM reach WHERE node = $4 LIMIT 1""";

    private static final String INSERT_EDGE = """
            WITH e AS (
              INSERT INTO {s}.ff_edge (partition_key, flow_id, edge_id, upstream_id, downstream_id, dependency_kind,
                  data_passing_ref, edge_state, staged_at_ms)
              VALUES ($1, $2, $3, $4, $5, 'success_only', $6, 'staged', {s}.now_ms())
              RETURNING 1
            )
            UPDATE {s}.ff_edge_group SET staged_count = staged_count + 1
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $5 AND (SELECT count(*) FROM e) = 1""";

    private static final String EDGE = """
            SELECT upstream_id, downstream_id, edge_state FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2 AND edge_id = $3""";

    private static final String LOCK_EXECUTIONS = """
            SELECT execution_id, lifecycle_phase, attempt_state, eligibility_state, terminal_outcome
            FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = ANY($2::uuid[])
            ORDER BY execution_id
            FOR NO KEY UPDATE""";

    private static final String MARK_APPLIED = """
            UPDATE {s}.ff_edge SET edge_state = 'applied', applied_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND flow_id = $2 AND edge_id = $3 AND edge_state = 'staged'
            RETURNING 1""";

    private static final String SEAL = "UPDATE {s}.ff_edge_group g SET sealed_at_ms = coalesce(g.sealed_at_ms, "
            + "{s}.now_ms()) WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3 RETURNING "
            + GroupRow.COLUMNS;

    private static final String BLOCK_NOT_STARTED = """
            UPDATE {s}.ff_exec_core SET eligibility_state = 'blocked_by_dependencies',
                   blocking_reason = 'waiting_for_children', last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND execution_id = $2 AND lifecycle_phase = 'runnable'
              AND attempt_state IN ('pending_first_attempt', 'pending_replay_attempt')
              AND eligibility_state <> 'blocked_by_dependencies'""";

    private final EdgeResolver resolver;
    private final String casFlow;
    private final String flowState;
    private final String members;
    private final String ensureGroup;
    private final String existingEdge;
    private final String reaches;
    private final String insertEdge;
    private final String edge;
    private final String lockExecutions;
    private final String markApplied;
    private final String seal;
    private final String blockNotStarted;
    private final String lockGroup;

    EdgeStaging(SqlTemplate sql, EdgeResolver resolver) {
        this.resolver = resolver;
        this.casFlow = sql.render(CAS_FLOW);
        this.flowState = sql.render(FLOW_STATE);
        this.members = sql.render(MEMBERS);
        this.ensureGroup = sql.render(ENSURE_GROUP);
        this.existingEdge = sql.render(EXISTING_EDGE);
        this.reaches = sql.render(REACHES);
        this.insertEdge = sql.render(INSERT_EDGE);
        this.edge = sql.render(EDGE);
        this.lockExecutions = sql.render(LOCK_EXECUTIONS);
        this.markApplied = sql.render(MARK_APPLIED);
        this.seal = sql.render(SEAL);
        this.blockNotStarted = sql.render(BLOCK_NOT_STARTED);
        this.lockGroup = sql.render(EdgeResolver.LOCK_GROUP);
    }

    String lockGroupSql() {
        return lockGroup;
    }

    /**
     * Stages one edge (§4 steps 2–8; the self-edge check ran before the transaction).
     *
     * @param expectedRevision the compare-and-set value; {@code null} skips the comparison (used by create, which
     *                         holds the flow lock already)
     */
    Mono<FlowResults.Staged> stage(Tx tx, int partition, UUID flow, EdgeId edgeId, UUID upstream, UUID downstream,
                                   @Nullable String ref, @Nullable Long expectedRevision) {
        return tx.queryOne(casFlow, r -> new long[] {r.get("graph_revision", Long.class),
                        r.get("edge_count", Integer.class)}, partition, flow,
                        Bind.nullable(expectedRevision, Long.class))
                .switchIfEmpty(Mono.defer(() -> casFailed(tx, partition, flow)))
                .flatMap(revision -> {
                    if (revision[1] > MAX_EDGES_PER_FLOW) {
                        return Mono.error(new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                                "a flow holds at most " + MAX_EDGES_PER_FLOW + " edges"));
                    }
                    return checkMembers(tx, partition, flow, upstream, downstream)
                            .then(checkGroup(tx, partition, flow, downstream))
                            .then(checkDuplicate(tx, partition, flow, edgeId, upstream, downstream))
                            .then(checkCycle(tx, partition, flow, upstream, downstream))
                            .then(tx.update(insertEdge, partition, flow, edgeId.uuid(), upstream, downstream,
                                    Bind.nullable(ref, String.class)))
                            .thenReturn(new FlowResults.Staged(edgeId, revision[0]));
                });
    }

    private Mono<long[]> casFailed(Tx tx, int partition, UUID flow) {
        return tx.queryOne(flowState, r -> new Object[] {r.get("public_flow_state", String.class),
                        r.get("graph_revision", Long.class)}, partition, flow)
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.FLOW, "no flow " + flow)))
                .flatMap(f -> Mono.error("cancelled".equals(f[0])
                        ? new StateException(StateException.Kind.FLOW_TERMINAL, "flow " + flow + " is cancelled")
                        : new ContentionException(ContentionException.Kind.STALE_GRAPH_REVISION,
                                "flow " + flow + " is at graph revision " + f[1])));
    }

    private Mono<Void> checkMembers(Tx tx, int partition, UUID flow, UUID upstream, UUID downstream) {
        return tx.query(members, r -> new Object[] {r.get("execution_id", UUID.class), r.get("flow_id", UUID.class),
                        r.get("lifecycle_phase", String.class)}, partition, new UUID[] {upstream, downstream})
                .collectList()
                .flatMap(rows -> {
                    boolean upOk = false;
                    boolean downOk = false;
                    boolean downTerminal = false;
                    for (Object[] row : rows) {
                        boolean member = flow.equals(row[1]);
                        if (upstream.equals(row[0])) {
                            upOk = member;
                        }
                        if (downstream.equals(row[0])) {
                            downOk = member;
                            downTerminal = "terminal".equals(row[2]);
                        }
                    }
                    if (!upOk || !downOk) {
                        return Mono.error(new ValidationException(ValidationException.Kind.NOT_FLOW_MEMBER,
                                "both ends of an edge must be members of flow " + flow));
                    }
                    if (downTerminal) {
                        return Mono.error(new StateException(StateException.Kind.ALREADY_TERMINAL,
                                "the downstream " + downstream + " already ended"));
                    }
                    return Mono.empty();
                });
    }

    private Mono<Void> checkGroup(Tx tx, int partition, UUID flow, UUID downstream) {
        return tx.update(ensureGroup, partition, flow, downstream, "all_of", new Bind(Integer.class),
                        new Bind(String.class))
                .then(tx.queryOne(lockGroup, GroupRow::read, partition, flow, downstream))
                .flatMap(group -> {
                    if (group.sealed()) {
                        return Mono.error(new ConflictException(ConflictException.Kind.GROUP_SEALED,
                                "an edge into " + downstream + " was applied; its group is sealed"));
                    }
                    if (group.staged() >= MAX_EDGES_PER_DOWNSTREAM) {
                        return Mono.error(new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                                "at most " + MAX_EDGES_PER_DOWNSTREAM + " edges into one downstream"));
                    }
                    return Mono.<Void>empty();
                });
    }

    private Mono<Void> checkDuplicate(Tx tx, int partition, UUID flow, EdgeId edgeId, UUID upstream, UUID downstream) {
        return tx.queryOne(existingEdge, r -> r.get("edge_id", UUID.class), partition, flow, edgeId.uuid(), upstream,
                        downstream)
                .flatMap(existing -> Mono.error(new ConflictException(ConflictException.Kind.DEPENDENCY_ALREADY_EXISTS,
                        "edge " + existing + " already links these executions or uses this id")));
    }

    private Mono<Void> checkCycle(Tx tx, int partition, UUID flow, UUID upstream, UUID downstream) {
        return tx.queryOne(reaches, r -> 1, partition, flow, downstream, upstream)
                .flatMap(found -> Mono.error(new ValidationException(ValidationException.Kind.CYCLE_DETECTED,
                        "an edge " + upstream + " -> " + downstream + " would close a cycle: " + upstream
                                + " is reachable from " + downstream)));
    }

    /** Applies one edge (§5). */
    Mono<FlowResults.ApplyResult> apply(Tx tx, int partition, UUID flow, UUID edgeId) {
        return tx.queryOne(flowState, r -> r.get("public_flow_state", String.class), partition, flow)
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.FLOW, "no flow " + flow)))
                .flatMap(state -> "cancelled".equals(state)
                        ? Mono.error(new StateException(StateException.Kind.FLOW_TERMINAL, "flow " + flow + " is cancelled"))
                        : tx.queryOne(edge, r -> new Object[] {r.get("upstream_id", UUID.class),
                                r.get("downstream_id", UUID.class), r.get("edge_state", String.class)},
                                partition, flow, edgeId))
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.EDGE, "no edge " + edgeId)))
                .flatMap(e -> {
                    if (!"staged".equals(e[2])) {
                        return Mono.just(new FlowResults.ApplyResult.AlreadyApplied());
                    }
                    UUID upstream = (UUID) e[0];
                    UUID downstream = (UUID) e[1];
                    // Lock order: group, then the execution rows in key order.
                    return tx.queryOne(lockGroup, GroupRow::read, partition, flow, downstream)
                            .then(tx.query(lockExecutions, r -> new Object[] {r.get("execution_id", UUID.class),
                                            r.get("terminal_outcome", String.class)}, partition,
                                    new UUID[] {upstream, downstream}).collectList())
                            .flatMap(rows -> tx.query(markApplied, r -> 1, partition, flow, edgeId).hasElements()
                                    .flatMap(applied -> applied
                                            ? afterMark(tx, partition, flow, edgeId, upstream, downstream, rows)
                                            : Mono.just(new FlowResults.ApplyResult.AlreadyApplied())));
                });
    }

    private Mono<FlowResults.ApplyResult> afterMark(Tx tx, int partition, UUID flow, UUID edgeId, UUID upstream,
                                                    UUID downstream, List<Object[]> rows) {
        String upstreamOutcome = rows.stream().filter(r -> upstream.equals(r[0])).map(r -> (String) r[1])
                .findFirst().orElse("none");
        return tx.queryOne(seal, GroupRow::read, partition, flow, downstream)
                .flatMap(group -> (group.state() == GroupDecision.PENDING
                        ? tx.update(blockNotStarted, partition, downstream).then()
                        : Mono.<Void>empty())
                        .then(Mono.defer(() -> {
                            if ("none".equals(upstreamOutcome)) {
                                return Mono.just(group);
                            }
                            String resolution = EdgeResolver.resolutionOf(TerminalOutcome.fromLiteral(upstreamOutcome));
                            return resolver.latestCompletionEvent(tx, partition, upstream)
                                    .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                                    .flatMap(event -> resolver.resolve(tx, partition, flow, edgeId, resolution,
                                            event.orElse(null)));
                        }))
                        // A group sealed by an earlier apply may already decide with this edge still unresolved.
                        .flatMap(g -> resolver.decide(tx, g, null)))
                .map(g -> new FlowResults.ApplyResult.Applied(g.unresolved(), g.state()));
    }
}
