package io.flowfabric.postgres.flows;

import io.flowfabric.core.error.ConflictException;
import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.flows.CancelFlow;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.flows.EdgeSnapshot;
import io.flowfabric.core.events.PageCursor;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.flows.FlowEligibility;
import io.flowfabric.core.flows.FlowQuery;
import io.flowfabric.core.flows.FlowResults;
import io.flowfabric.core.flows.FlowSnapshot;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.flows.FlowSummary;
import io.flowfabric.core.flows.StageEdge;
import io.flowfabric.core.id.EdgeId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.spi.FlowOperations;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Flow structure, edges and reads on PostgreSQL (spec 03 §1–§5, §12); flow cancel is {@link FlowCancellation}. */
final class PgFlowOperations implements FlowOperations {

    static final int MAX_MEMBERS = 10_000;
    static final int MAX_PAGE = 1000;
    private static final Pattern REF = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private static final String INSERT_FLOW = """
            INSERT INTO {s}.ff_flow_core (partition_key, flow_id, namespace, flow_kind, public_flow_state, tags,
                instance_tag, created_at_ms, last_mutation_at_ms)
            VALUES ($1, $2, $3, $4, 'open', $5::jsonb, $6, {s}.now_ms(), {s}.now_ms())
            ON CONFLICT (partition_key, flow_id) DO NOTHING
            RETURNING 1""";

    private static final String FLOW = """
            SELECT partition_key, flow_id, namespace, flow_kind, public_flow_state, graph_revision, node_count,
                   edge_count, tags::text AS tags, created_at_ms, terminal_at_ms, cancellation_policy, cancel_reason,
                   cancelled_by
            FROM {s}.ff_flow_core WHERE partition_key = $1 AND flow_id = $2""";

    private static final String GROUPS = "SELECT " + GroupRow.COLUMNS + """

            FROM {s}.ff_edge_group g WHERE g.partition_key = $1 AND g.flow_id = $2 ORDER BY g.downstream_id""";

    private static final String GROUP = "SELECT " + GroupRow.COLUMNS + """

            FROM {s}.ff_edge_group g WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3""";

    private static final String LOCK_FLOW = """
            SELECT namespace, public_flow_state, node_count FROM {s}.ff_flow_core
            WHERE partition_key = $1 AND flow_id = $2 FOR UPDATE""";

    private static final String LOCK_MEMBER = """
            SELECT namespace, flow_id FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = $2 FOR NO KEY UPDATE""";

    private static final String ADD_MEMBER = """
            WITH x AS (
              UPDATE {s}.ff_exec_core SET flow_id = $2, last_mutation_at_ms = {s}.now_ms()
              WHERE partition_key = $1 AND execution_id = $3
              RETURNING 1
            ), d AS (
              INSERT INTO {s}.ff_flow_dirty (partition_key, flow_id, marked_at_ms) VALUES ($1, $2, {s}.now_ms())
              ON CONFLICT DO NOTHING
              RETURNING 1
            )
            UPDATE {s}.ff_flow_core SET graph_revision = graph_revision + 1, node_count = node_count + 1,
                   last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND flow_id = $2
            RETURNING node_count, graph_revision""";

    private static final String MEMBER_FLOW = """
            SELECT flow_id FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    private static final String INSERT_GROUP = """
            INSERT INTO {s}.ff_edge_group (partition_key, flow_id, downstream_id, policy_kind, quorum_k, on_satisfied,
                group_state)
            VALUES ($1, $2, $3, $4, $5, $6, 'pending')
            ON CONFLICT (partition_key, flow_id, downstream_id) DO NOTHING
            RETURNING 1""";

    private static final String UPDATE_GROUP_POLICY = """
            UPDATE {s}.ff_edge_group SET policy_kind = $4, quorum_k = $5, on_satisfied = $6
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3""";

    private static final String EDGES = """
            SELECT edge_id, upstream_id, downstream_id, dependency_kind, data_passing_ref, edge_state, resolution,
                   staged_at_ms, applied_at_ms, resolved_at_ms
            FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2
              AND (($4 AND upstream_id = $3) OR (NOT $4 AND downstream_id = $3))
            ORDER BY edge_id""";

    /**
     * The columns of a flow listing. The derived state is the projector's (03 §12) when it has a row for the flow;
     * a flow it has not seen yet is derived here from its members by the same rule, and a cancelled flow is
     * {@code cancelled} whatever the projection says.
     */
    private static final String FLOW_LIST = """
            SELECT f.partition_key, f.flow_id, f.namespace, f.created_at_ms, f.public_flow_state,
                   CASE WHEN f.public_flow_state = 'cancelled' THEN 'cancelled'
                        ELSE coalesce(m.derived_state, live.derived_state) END AS derived_state
            FROM {s}.ff_flow_core f
            LEFT JOIN {s}.ff_flow_summary m ON m.partition_key = f.partition_key AND m.flow_id = f.flow_id
            LEFT JOIN LATERAL (
              SELECT CASE WHEN count(*) > 0 AND count(*) FILTER (WHERE x.lifecycle_phase = 'terminal') = count(*)
                               THEN CASE WHEN count(*) FILTER (WHERE x.public_state IN ('failed', 'cancelled',
                                                                                        'expired')) > 0
                                         THEN 'failed' ELSE 'completed' END
                          WHEN count(*) FILTER (WHERE x.public_state = 'active') > 0 THEN 'running'
                          WHEN count(*) FILTER (WHERE x.public_state IN ('suspended', 'delayed', 'rate_limited',
                                                                         'waiting_children')) > 0 THEN 'blocked'
                          ELSE 'open' END AS derived_state
              FROM {s}.ff_exec_core x
              WHERE m.flow_id IS NULL AND x.partition_key = f.partition_key AND x.flow_id = f.flow_id
            ) live ON true
            """;

    private static final String FLOWS_BY_PARTITION = FLOW_LIST + """
            WHERE f.partition_key = $1 AND ($2::uuid IS NULL OR f.flow_id > $2::uuid)
            ORDER BY f.flow_id
            LIMIT $3""";

    private static final String FLOWS_BY_NAMESPACE = FLOW_LIST + """
            WHERE f.namespace = $1
              AND ($2::bigint IS NULL OR (f.created_at_ms, f.flow_id) > ($2::bigint, $3::uuid))
            ORDER BY f.created_at_ms, f.flow_id
            LIMIT $4""";

    private static final String EDGE_BY_ID = """
            SELECT edge_id, upstream_id, downstream_id, dependency_kind, data_passing_ref, edge_state, resolution,
                   staged_at_ms, applied_at_ms, resolved_at_ms
            FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2 AND edge_id = $3""";

    /** An execution's lifecycle and, when it is the downstream of a group of its flow, that group's state. */
    private static final String ELIGIBILITY = """
            SELECT e.lifecycle_phase, g.group_state, g.sealed_at_ms IS NOT NULL AS sealed
            FROM {s}.ff_exec_core e
            LEFT JOIN {s}.ff_edge_group g ON g.partition_key = e.partition_key AND g.flow_id = e.flow_id
                 AND g.downstream_id = e.execution_id
            WHERE e.partition_key = $1 AND e.execution_id = $2""";

    private final Database db;
    private final EdgeStaging staging;
    private final FlowCancellation cancellation;
    private final String insertFlow;
    private final String flow;
    private final String groups;
    private final String group;
    private final String lockFlow;
    private final String lockMember;
    private final String addMember;
    private final String memberFlow;
    private final String insertGroup;
    private final String updateGroupPolicy;
    private final String edges;
    private final String flowsByPartition;
    private final String flowsByNamespace;
    private final String edgeById;
    private final String eligibility;

    PgFlowOperations(Database db, SqlTemplate sql, EdgeStaging staging, FlowCancellation cancellation) {
        this.db = db;
        this.staging = staging;
        this.cancellation = cancellation;
        this.insertFlow = sql.render(INSERT_FLOW);
        this.flow = sql.render(FLOW);
        this.groups = sql.render(GROUPS);
        this.group = sql.render(GROUP);
        this.lockFlow = sql.render(LOCK_FLOW);
        this.lockMember = sql.render(LOCK_MEMBER);
        this.addMember = sql.render(ADD_MEMBER);
        this.memberFlow = sql.render(MEMBER_FLOW);
        this.insertGroup = sql.render(INSERT_GROUP);
        this.updateGroupPolicy = sql.render(UPDATE_GROUP_POLICY);
        this.edges = sql.render(EDGES);
        this.flowsByPartition = sql.render(FLOWS_BY_PARTITION);
        this.flowsByNamespace = sql.render(FLOWS_BY_NAMESPACE);
        this.edgeById = sql.render(EDGE_BY_ID);
        this.eligibility = sql.render(ELIGIBILITY);
    }

    private static <T> T required(@Nullable T value, String what) {
        if (value == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, what + " is required");
        }
        return value;
    }

    @Override
    public Mono<FlowResults.FlowCreated> createFlow(CreateFlow request) {
        return Mono.defer(() -> {
            required(request, "request");
            String namespace = request.namespace() == null ? "default" : request.namespace();
            InputRules.namespace(namespace);
            String kind = request.kind() == null ? "default" : request.kind();
            InputRules.flowKind(kind);
            Map<String, String> tags = InputRules.tags(request.tags());
            FlowId id = request.flowId() == null ? FlowId.random() : request.flowId();
            return db.inTransactionOne("create_flow", tx -> tx.query(insertFlow, r -> 1, id.partition(), id.uuid(),
                            namespace, kind, JsonText.tags(tags),
                            Bind.nullable(tags.get("cairn.instance_id"), String.class))
                    .hasElements()
                    .map(created -> created ? new FlowResults.FlowCreated.Created(id)
                            : (FlowResults.FlowCreated) new FlowResults.FlowCreated.AlreadyExists(id)));
        });
    }

    @Override
    public Mono<Optional<FlowSnapshot>> describeFlow(FlowId flowId) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            return db.inTransactionOne("describe_flow", tx -> tx.queryOne(flow, PgFlowOperations::flowRow,
                            flowId.partition(), flowId.uuid())
                    .flatMap(f -> tx.query(groups, GroupRow::read, flowId.partition(), flowId.uuid())
                            .map(GroupRow::snapshot).collectList()
                            .map(gs -> Optional.of(f.withGroups(gs)))))
                    .defaultIfEmpty(Optional.empty());
        });
    }

    @Override
    public Mono<Page<FlowSummary>> listFlows(FlowQuery query, @Nullable String cursor, int limit) {
        return Mono.defer(() -> {
            if (query == null || (query.partition() == null) == (query.namespace() == null)) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "list flows by exactly one of partition or namespace"));
            }
            InputRules.pageLimit(limit, MAX_PAGE);
            if (limit == 0) {
                return Mono.just(Page.<FlowSummary>empty());
            }
            List<String> after = cursor == null ? null : PageCursor.decode(cursor);
            Flux<FlowSummary> rows;
            if (query.partition() != null) {
                int partition = query.partition();
                if (partition < 0 || partition > 255) {
                    return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                            "partition must be 0..255, got " + partition));
                }
                Object afterId = Bind.nullable(after == null ? null : PageCursor.uuidAt(after, 0, 1), UUID.class);
                rows = db.inTransaction("list_flows", tx -> tx.query(flowsByPartition, PgFlowOperations::summary,
                        partition, afterId, limit + 1));
            } else {
                InputRules.namespace(query.namespace());
                Object afterCreated = Bind.nullable(after == null ? null : PageCursor.longAt(after, 0, 2), Long.class);
                Object afterId = Bind.nullable(after == null ? null : PageCursor.uuidAt(after, 1, 2), UUID.class);
                rows = db.inTransaction("list_flows", tx -> tx.query(flowsByNamespace, PgFlowOperations::summary,
                        query.namespace(), afterCreated, afterId, limit + 1));
            }
            boolean byPartition = query.partition() != null;
            return rows.collectList().map(list -> Page.ofFetched(list, limit, last -> byPartition
                    ? PageCursor.encode(List.of(last.flowId().uuid().toString()))
                    : PageCursor.encode(List.of(Long.toString(last.createdAt().toEpochMilli()),
                            last.flowId().uuid().toString()))));
        });
    }

    private static FlowSummary summary(Readable r) {
        return new FlowSummary(new FlowId(r.get("flow_id", UUID.class)), r.get("namespace", String.class),
                Instant.ofEpochMilli(r.get("created_at_ms", Long.class)), r.get("public_flow_state", String.class),
                r.get("derived_state", String.class));
    }

    private static FlowSnapshot flowRow(Readable r) {
        Long terminal = r.get("terminal_at_ms", Long.class);
        return new FlowSnapshot(new FlowId(r.get("flow_id", UUID.class)), r.get("namespace", String.class),
                r.get("flow_kind", String.class), r.get("public_flow_state", String.class),
                r.get("graph_revision", Long.class), r.get("node_count", Integer.class),
                r.get("edge_count", Integer.class),
                JsonText.readTags(r.get("tags", String.class)),
                Instant.ofEpochMilli(r.get("created_at_ms", Long.class)),
                terminal == null ? null : Instant.ofEpochMilli(terminal), r.get("cancellation_policy", String.class),
                r.get("cancel_reason", String.class), r.get("cancelled_by", String.class), List.of());
    }

    @Override
    public Mono<FlowResults.MemberAdded> addExecutionToFlow(FlowId flowId, ExecutionId executionId) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            required(executionId, "execution id");
            if (executionId.partition() != flowId.partition()) {
                return Mono.error(new ValidationException(ValidationException.Kind.PARTITION_MISMATCH,
                        executionId + " was not minted for flow " + flowId));
            }
            int pk = flowId.partition();
            return db.inTransactionOne("add_member", tx -> tx.queryOne(lockFlow, r -> new Object[] {
                                    r.get("namespace", String.class), r.get("public_flow_state", String.class),
                                    r.get("node_count", Integer.class)}, pk, flowId.uuid())
                    .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.FLOW,
                            "no flow " + flowId)))
                    .flatMap(f -> {
                        if ("cancelled".equals(f[1])) {
                            return Mono.error(new StateException(StateException.Kind.FLOW_TERMINAL,
                                    "flow " + flowId + " is cancelled"));
                        }
                        return tx.queryOne(lockMember, r -> new Object[] {r.get("namespace", String.class),
                                        r.get("flow_id", UUID.class)}, pk, executionId.uuid())
                                .switchIfEmpty(Mono.error(() -> new NotFoundException(
                                        NotFoundException.Entity.EXECUTION, "no execution " + executionId)))
                                .flatMap(x -> addLocked(tx, flowId, executionId, f, x));
                    }));
        });
    }

    private Mono<FlowResults.MemberAdded> addLocked(Tx tx, FlowId flowId, ExecutionId executionId, Object[] flowRow,
                                                    Object[] member) {
        if (flowId.uuid().equals(member[1])) {
            return Mono.just(new FlowResults.MemberAdded.AlreadyMember((Integer) flowRow[2]));
        }
        if (member[1] != null) {
            return Mono.error(new ConflictException(ConflictException.Kind.MEMBER_OF_OTHER_FLOW,
                    executionId + " belongs to another flow"));
        }
        if (!flowRow[0].equals(member[0])) {
            return Mono.error(new ValidationException(ValidationException.Kind.NAMESPACE_MISMATCH,
                    executionId + " is not in the flow's namespace"));
        }
        if ((Integer) flowRow[2] >= MAX_MEMBERS) {
            return Mono.error(new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                    "a flow holds at most " + MAX_MEMBERS + " members"));
        }
        return tx.queryOne(addMember, r -> (FlowResults.MemberAdded) new FlowResults.MemberAdded.Added(
                        r.get("node_count", Integer.class), r.get("graph_revision", Long.class)),
                flowId.partition(), flowId.uuid(), executionId.uuid());
    }

    @Override
    public Mono<FlowResults.PolicySet> setEdgeGroupPolicy(FlowId flowId, ExecutionId downstreamId,
                                                          EdgeGroupPolicy policy) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            required(downstreamId, "downstream id");
            if (policy == null) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_POLICY,
                        "an edge group policy is required"));
            }
            if (downstreamId.partition() != flowId.partition()) {
                return Mono.error(new ValidationException(ValidationException.Kind.NOT_FLOW_MEMBER,
                        downstreamId + " is not a member of flow " + flowId));
            }
            return db.inTransactionOne("set_group_policy", tx -> setPolicy(tx, flowId.partition(), flowId.uuid(),
                    downstreamId.uuid(), policy));
        });
    }

    private Mono<FlowResults.PolicySet> setPolicy(Tx tx, int pk, UUID flow, UUID downstream, EdgeGroupPolicy policy) {
        Object[] columns = GroupRow.policyColumns(policy);
        return tx.queryOne(memberFlow, r -> Optional.ofNullable(r.get("flow_id", UUID.class)), pk, downstream)
                .filter(f -> f.isPresent() && f.get().equals(flow))
                .switchIfEmpty(Mono.error(() -> new ValidationException(ValidationException.Kind.NOT_FLOW_MEMBER,
                        downstream + " is not a member of flow " + flow)))
                .then(tx.query(insertGroup, r -> 1, pk, flow, downstream, columns[0], columns[1], columns[2])
                        .hasElements())
                .flatMap(inserted -> inserted ? Mono.just(FlowResults.PolicySet.SET)
                        : tx.queryOne(staging.lockGroupSql(), GroupRow::read, pk, flow, downstream).flatMap(g -> {
                            if (g.staged() > 0) {
                                return Mono.error(new ValidationException(ValidationException.Kind.POLICY_FIXED,
                                        "edges into " + downstream + " are staged; its policy is fixed"));
                            }
                            if (g.policy().equals(policy)) {
                                return Mono.just(FlowResults.PolicySet.ALREADY_SET);
                            }
                            return tx.update(updateGroupPolicy, pk, flow, downstream, columns[0], columns[1],
                                    columns[2]).thenReturn(FlowResults.PolicySet.SET);
                        }));
    }

    @Override
    public Mono<FlowResults.Staged> stageDependencyEdge(StageEdge request) {
        return Mono.defer(() -> {
            required(request, "request");
            required(request.flowId(), "flow id");
            required(request.upstreamId(), "upstream id");
            required(request.downstreamId(), "downstream id");
            if (request.upstreamId().equals(request.downstreamId())) {
                return Mono.error(new ValidationException(ValidationException.Kind.SELF_EDGE,
                        "an execution cannot depend on itself"));
            }
            validateRef(request.dataPassingRef());
            FlowId flowId = request.flowId();
            if (request.upstreamId().partition() != flowId.partition()
                    || request.downstreamId().partition() != flowId.partition()) {
                return Mono.error(new ValidationException(ValidationException.Kind.NOT_FLOW_MEMBER,
                        "both ends of an edge must be members of flow " + flowId));
            }
            EdgeId edgeId = request.edgeId() == null ? EdgeId.random() : request.edgeId();
            return db.inTransactionOne("stage_edge", tx -> staging.stage(tx, flowId.partition(), flowId.uuid(),
                    edgeId, request.upstreamId().uuid(), request.downstreamId().uuid(), request.dataPassingRef(),
                    request.expectedGraphRevision()));
        });
    }

    static void validateRef(@Nullable String ref) {
        if (ref != null && !"$input".equals(ref) && !REF.matcher(ref).matches()) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "a data-passing ref is 1-64 bytes of [A-Za-z0-9_.-], or $input");
        }
    }

    @Override
    public Mono<FlowResults.ApplyResult> applyDependency(FlowId flowId, EdgeId edgeId) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            required(edgeId, "edge id");
            return db.inTransactionOne("apply_edge", tx -> staging.apply(tx, flowId.partition(), flowId.uuid(),
                    edgeId.uuid()));
        });
    }

    /**
     * {@code createExecution(dependsOn)}: sets the new execution's group policy, stages an edge from every upstream
     * and applies them all, in the creating transaction (which already holds the flow lock).
     */
    Mono<Void> stageAndApplyAll(Tx tx, ExecutionId downstream, FlowId flowId, List<Dependency> dependencies,
                                @Nullable EdgeGroupPolicy policy) {
        int pk = flowId.partition();
        for (Dependency d : dependencies) {
            if (d == null || d.upstreamId() == null) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "a dependency needs an upstream id"));
            }
            validateRef(d.dataPassingRef());
            if (d.upstreamId().partition() != pk) {
                return Mono.error(new ValidationException(ValidationException.Kind.NOT_FLOW_MEMBER,
                        d.upstreamId() + " is not a member of flow " + flowId));
            }
        }
        Mono<?> setPolicy = policy == null ? Mono.empty()
                : setPolicy(tx, pk, flowId.uuid(), downstream.uuid(), policy);
        List<EdgeId> edgeIds = dependencies.stream().map(d -> EdgeId.random()).toList();
        return setPolicy
                .then(Flux.range(0, dependencies.size()).concatMap(i -> staging.stage(tx, pk, flowId.uuid(),
                        edgeIds.get(i), dependencies.get(i).upstreamId().uuid(), downstream.uuid(),
                        dependencies.get(i).dataPassingRef(), null)).then())
                .then(Flux.fromIterable(edgeIds).concatMap(e -> staging.apply(tx, pk, flowId.uuid(), e.uuid()))
                        .then());
    }

    @Override
    public Flux<EdgeSnapshot> listEdges(FlowId flowId, ExecutionId member, boolean outgoing) {
        return Mono.fromCallable(() -> {
            required(flowId, "flow id");
            return required(member, "member id");
        }).flatMapMany(m -> db.inTransaction("list_edges", tx -> tx.query(edges, r -> edge(r, flowId.partition()),
                flowId.partition(), flowId.uuid(), m.uuid(), outgoing)));
    }

    private static EdgeSnapshot edge(Readable r, int pk) {
        Long applied = r.get("applied_at_ms", Long.class);
        Long resolved = r.get("resolved_at_ms", Long.class);
        return new EdgeSnapshot(new EdgeId(r.get("edge_id", UUID.class)),
                ExecutionId.of(pk, r.get("upstream_id", UUID.class)),
                ExecutionId.of(pk, r.get("downstream_id", UUID.class)), r.get("dependency_kind", String.class),
                r.get("data_passing_ref", String.class), r.get("edge_state", String.class),
                r.get("resolution", String.class), Instant.ofEpochMilli(r.get("staged_at_ms", Long.class)),
                applied == null ? null : Instant.ofEpochMilli(applied),
                resolved == null ? null : Instant.ofEpochMilli(resolved));
    }

    @Override
    public Mono<Optional<EdgeSnapshot>> describeEdge(FlowId flowId, EdgeId edgeId) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            required(edgeId, "edge id");
            return db.inTransactionOne("describe_edge", tx -> tx.queryOne(edgeById,
                            r -> edge(r, flowId.partition()), flowId.partition(), flowId.uuid(), edgeId.uuid()))
                    .map(Optional::of)
                    .defaultIfEmpty(Optional.empty());
        });
    }

    @Override
    public Mono<FlowEligibility> evaluateFlowEligibility(ExecutionId executionId) {
        return Mono.defer(() -> {
            required(executionId, "execution id");
            return db.inTransactionOne("evaluate_flow_eligibility", tx -> tx.queryOne(eligibility,
                            PgFlowOperations::eligibility, executionId.partition(), executionId.uuid()))
                    .defaultIfEmpty(FlowEligibility.NOT_FOUND);
        });
    }

    private static FlowEligibility eligibility(Readable r) {
        String lifecycle = r.get("lifecycle_phase", String.class);
        if ("terminal".equals(lifecycle)) {
            return FlowEligibility.TERMINAL;
        }
        if ("active".equals(lifecycle) || "suspended".equals(lifecycle)) {
            return FlowEligibility.OWNED;
        }
        String group = r.get("group_state", String.class);
        if (group == null || !Boolean.TRUE.equals(r.get("sealed", Boolean.class))) {
            return FlowEligibility.ELIGIBLE;
        }
        return switch (GroupDecision.fromLiteral(group)) {
            case PENDING -> FlowEligibility.BLOCKED_BY_DEPENDENCIES;
            case IMPOSSIBLE -> FlowEligibility.IMPOSSIBLE;
            case SATISFIED -> FlowEligibility.ELIGIBLE;
        };
    }

    @Override
    public Mono<Optional<EdgeGroupSnapshot>> readEdgeGroup(FlowId flowId, ExecutionId downstreamId) {
        return Mono.defer(() -> {
            required(flowId, "flow id");
            required(downstreamId, "downstream id");
            return db.inTransactionOne("read_edge_group", tx -> tx.queryOne(group, GroupRow::read,
                            flowId.partition(), flowId.uuid(), downstreamId.uuid()))
                    .map(g -> Optional.of(g.snapshot()))
                    .defaultIfEmpty(Optional.empty());
        });
    }

    @Override
    public Mono<CancelFlow.Result> cancelFlow(CancelFlow request) {
        return cancellation.cancel(request);
    }
}
