package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.events.PageCursor;
import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionInput;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.ExecutionSummary;
import io.flowfabric.core.execution.ExpiredLease;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.spi.ExecutionOperations;
import io.flowfabric.core.state.AttemptLifecycle;
import io.flowfabric.core.state.AttemptState;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.core.state.BlockingReason;
import io.flowfabric.core.state.EligibilityState;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LifecyclePhase;
import io.flowfabric.core.state.OwnershipState;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.StateVector;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.GroupCommit;
import io.r2dbc.spi.Readable;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Creating and reading executions on PostgreSQL (spec 02 §2 and §7). */
final class PgExecutionOperations implements ExecutionOperations {

    static final int MAX_PAGE = 1000;
    static final int DEFAULT_PAGE = 100;
    static final int MAX_EXPIRED_PAGE = 10_000;

    private static final String ATTEMPT_COLUMNS = """
            t.attempt_index, t.attempt_id, t.attempt_type, t.attempt_lifecycle, t.lease_epoch AS attempt_epoch,
            t.worker_id AS attempt_worker_id, t.worker_instance_id AS attempt_worker_instance_id,
            t.started_at_ms AS attempt_started_at_ms, t.last_granted_at_ms, t.ended_at_ms, t.end_reason,
            t.active_ms""";

    private static final String DESCRIBE = """
            SELECT e.partition_key, e.execution_id, e.flow_id, e.namespace, e.lane_id, e.execution_kind, e.priority,
                   e.tags::text AS tags, e.required_capabilities, e.lifecycle_phase, e.ownership_state,
                   e.eligibility_state, e.blocking_reason, e.attempt_state, e.terminal_outcome, e.public_state,
                   e.blocking_detail, e.attempt_count, e.current_attempt_index, e.retry_count, e.replay_count,
                   e.lease_reclaim_count, e.signal_count, e.lease_epoch, e.created_at_ms, e.started_at_ms,
                   e.terminal_at_ms, e.last_mutation_at_ms, e.delay_until_ms, e.deadline_at_ms,
                   e.attempt_deadline_at_ms, e.progress_pct, e.progress_message, e.progress_at_ms,
                   e.last_failure_message, e.last_failure_category, e.cancellation_reason, e.cancelled_by,
                   e.current_suspension_id, e.current_worker_id, e.current_worker_instance_id,
                   e.lease_granted_at_ms, e.lease_expires_at_ms, e.lease_ttl_ms, e.current_lease_id IS NOT NULL AS leased,
            """ + ATTEMPT_COLUMNS + """

            FROM {s}.ff_exec_core e
            LEFT JOIN {s}.ff_attempt t ON t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                 AND t.attempt_index = e.current_attempt_index
            WHERE e.partition_key = $1 AND e.execution_id = $2""";

    private static final String STATE = """
            SELECT public_state FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    private static final String RESULT = """
            SELECT result_payload, result_encoding FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = $2 AND terminal_outcome = 'success'
              AND result_payload IS NOT NULL""";

    private static final String INPUT = """
            SELECT input_payload, input_encoding, execution_kind, tags::text AS tags FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = $2""";

    private static final String SUMMARY_COLUMNS = """
            SELECT partition_key, execution_id, namespace, lane_id, execution_kind, flow_id, priority, public_state,
                   created_at_ms, terminal_at_ms
            FROM {s}.ff_exec_core
            """;

    private static final String FILTERS = """
              AND ($3::text IS NULL OR lane_id = $3)
              AND (cardinality($4::text[]) = 0 OR public_state = ANY($4::text[]))
              AND ($5::uuid IS NULL OR flow_id = $5)
            """;

    private static final String LIST_BY_PARTITION = SUMMARY_COLUMNS + """
            WHERE partition_key = $1 AND ($2::uuid IS NULL OR execution_id > $2)
            """ + FILTERS + """
            ORDER BY execution_id
            LIMIT $6""";

    private static final String LIST_BY_NAMESPACE = SUMMARY_COLUMNS + """
            WHERE namespace = $1 AND ($2::bigint IS NULL OR (created_at_ms, execution_id) > ($2::bigint, $7::uuid))
            """ + FILTERS + """
            ORDER BY created_at_ms, execution_id
            LIMIT $6""";

    private static final String ATTEMPTS = "SELECT " + ATTEMPT_COLUMNS + """

            FROM {s}.ff_attempt t
            WHERE t.partition_key = $1 AND t.execution_id = $2
            ORDER BY t.attempt_index""";

    private static final String LANES = """
            SELECT lane_id FROM {s}.ff_lane WHERE ($1::text IS NULL OR lane_id > $1) ORDER BY lane_id LIMIT $2""";

    private static final String EXPIRED_LEASES = """
            SELECT partition_key, execution_id, namespace, lane_id, current_attempt_index, lease_epoch,
                   current_worker_id, current_worker_instance_id, lease_expires_at_ms
            FROM {s}.ff_exec_core
            WHERE lifecycle_phase = 'active' AND lease_expires_at_ms <= {s}.now_ms()
              AND ($1::text IS NULL OR namespace = $1)
              AND ($2::bigint IS NULL OR (lease_expires_at_ms, partition_key, execution_id)
                                          > ($2::bigint, $3::int, $4::uuid))
            ORDER BY lease_expires_at_ms, partition_key, execution_id
            LIMIT $5""";

    /** Simple creates in one statement at most. */
    private static final int MAX_GROUPED_CREATES = 64;
    /** Input bytes in one grouped statement at most (they travel base64 in JSON); a larger input is created alone. */
    private static final long MAX_GROUPED_INPUT_BYTES = 256 * 1024;

    private final ExecutionSettings settings;
    private final Database db;
    private final CreateStatement create;
    private final String describeSql;
    private final String stateSql;
    private final String resultSql;
    private final String inputSql;
    private final String byPartitionSql;
    private final String byNamespaceSql;
    private final String attemptsSql;
    private final String lanesSql;
    private final String expiredSql;
    private final GroupCommit<ValidCreate, CreateResult> simpleCreates;

    PgExecutionOperations(ExecutionSettings settings) {
        this.settings = settings;
        this.db = settings.database();
        this.create = new CreateStatement(settings.sql());
        this.describeSql = settings.sql().render(DESCRIBE);
        this.stateSql = settings.sql().render(STATE);
        this.resultSql = settings.sql().render(RESULT);
        this.inputSql = settings.sql().render(INPUT);
        this.byPartitionSql = settings.sql().render(LIST_BY_PARTITION);
        this.byNamespaceSql = settings.sql().render(LIST_BY_NAMESPACE);
        this.attemptsSql = settings.sql().render(ATTEMPTS);
        this.lanesSql = settings.sql().render(LANES);
        this.expiredSql = settings.sql().render(EXPIRED_LEASES);
        this.simpleCreates = new GroupCommit<>(settings.groupCommitInFlight(), MAX_GROUPED_CREATES,
                MAX_GROUPED_INPUT_BYTES, ValidCreate::id, c -> c.input().length, this::createSimple,
                this::createSimple, this::createSimpleMany);
    }

    void dependencyStager(DependencyStager stager) {
        create.dependencyStager(stager);
    }

    @Override
    public Mono<CreateResult> createExecution(CreateExecution request) {
        return Mono.fromCallable(() -> ValidCreate.of(request, settings.maxInputBytes(), settings.instanceTagKey()))
                .flatMap(valid -> {
                    if (create.simple(valid)) {
                        return simpleCreates.submit(valid);
                    }
                    return db.inTransactionOne("create",
                                    tx -> create.run(tx, valid, lane -> tx.notifyOnCommit(settings.channels().ready(lane))))
                            .doOnNext(result -> {
                                // A Duplicate returns before the lane insert: only a Created proves the lane row.
                                if (result.created()) {
                                    create.laneCommitted(valid.lane());
                                }
                            });
                });
    }

    /** A simple create on its own: one autocommit statement; a taken id falls back to reading the existing state. */
    private Mono<CreateResult> createSimple(ValidCreate valid) {
        return db.<CreateResult>autocommitOne("create",
                        tx -> create.runSimple(tx, valid, settings.channels().ready(valid.lane())))
                .switchIfEmpty(Mono.defer(() -> db.inTransactionOne("create", tx -> create.duplicate(tx, valid))));
    }

    /** Simple creates sharing one statement (see {@link GroupCommit}): the executions it created, by id. */
    private Mono<Map<ExecutionId, CreateResult>> createSimpleMany(List<ValidCreate> creates) {
        return db.autocommit("create_batch", tx -> create.runSimpleMany(tx, creates, settings.channels()::ready))
                .collectMap(CreateResult.Created::executionId, created -> (CreateResult) created);
    }

    // ---------------------------------------------------------------- single-execution reads

    private <T> Mono<Optional<T>> readOne(String unit, String sql, ExecutionId id, Function<Readable, T> mapper) {
        return Mono.fromCallable(() -> requireId(id))
                .flatMap(valid -> db.inTransactionOne(unit,
                        tx -> tx.queryOne(sql, mapper, valid.partition(), valid.uuid())))
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    private static ExecutionId requireId(@Nullable ExecutionId id) {
        if (id == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_ID, "execution id is required");
        }
        return id;
    }

    @Override
    public Mono<Optional<ExecutionSnapshot>> describeExecution(ExecutionId id) {
        return readOne("describe", describeSql, id, PgExecutionOperations::snapshot);
    }

    @Override
    public Mono<Optional<PublicState>> readExecutionState(ExecutionId id) {
        return readOne("read_state", stateSql, id, r -> PublicState.fromLiteral(r.get("public_state", String.class)));
    }

    @Override
    public Mono<Optional<Payload>> getExecutionResult(ExecutionId id) {
        return readOne("read_result", resultSql, id, r -> new Payload(
                ClaimStatement.bytes(r.get("result_payload", ByteBuffer.class)),
                r.get("result_encoding", String.class)));
    }

    @Override
    public Mono<Optional<ExecutionInput>> readExecutionInput(ExecutionId id) {
        return readOne("read_input", inputSql, id, r -> new ExecutionInput(
                ClaimStatement.bytes(r.get("input_payload", ByteBuffer.class)),
                r.get("input_encoding", String.class), r.get("execution_kind", String.class),
                JsonText.readTags(r.get("tags", String.class))));
    }

    @Override
    public Flux<AttemptSnapshot> listAttempts(ExecutionId id) {
        return Mono.fromCallable(() -> requireId(id)).flatMapMany(valid -> db.inTransaction("list_attempts",
                tx -> tx.query(attemptsSql, PgExecutionOperations::attempt, valid.partition(), valid.uuid())));
    }

    // ---------------------------------------------------------------- listings

    @Override
    public Mono<Page<ExecutionSummary>> listExecutions(ExecutionQuery query, @Nullable String cursor, int limit) {
        return Mono.defer(() -> {
            if (query == null || (query.partition() == null) == (query.namespace() == null)) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "list by exactly one of partition or namespace"));
            }
            InputRules.pageLimit(limit, MAX_PAGE);
            if (limit == 0) {
                return Mono.just(Page.<ExecutionSummary>empty());
            }
            if (query.lane() != null) {
                InputRules.lane(query.lane());
            }
            String[] states = query.publicStates().stream().map(PublicState::literal).sorted()
                    .toArray(String[]::new);
            Object lane = Bind.nullable(query.lane(), String.class);
            Object flow = Bind.nullable(query.flowId() == null ? null : query.flowId().uuid(), UUID.class);
            List<String> after = cursor == null ? null : PageCursor.decode(cursor);
            Flux<ExecutionSummary> rows;
            if (query.partition() != null) {
                int partition = query.partition();
                if (partition < 0 || partition > 255) {
                    return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                            "partition must be 0..255, got " + partition));
                }
                Object afterId = Bind.nullable(after == null ? null : PageCursor.uuidAt(after, 0, 1), UUID.class);
                rows = db.inTransaction("list_executions", tx -> tx.query(byPartitionSql,
                        PgExecutionOperations::summary, partition, afterId, lane, states, flow, limit + 1));
            } else {
                InputRules.namespace(query.namespace());
                Object afterCreated = Bind.nullable(after == null ? null : PageCursor.longAt(after, 0, 2), Long.class);
                Object afterId = Bind.nullable(after == null ? null : PageCursor.uuidAt(after, 1, 2), UUID.class);
                rows = db.inTransaction("list_executions", tx -> tx.query(byNamespaceSql,
                        PgExecutionOperations::summary, query.namespace(), afterCreated, lane, states, flow,
                        limit + 1, afterId));
            }
            boolean byPartition = query.partition() != null;
            return rows.collectList().map(list -> Page.ofFetched(list, limit, last -> byPartition
                    ? PageCursor.encode(List.of(last.executionId().uuid().toString()))
                    : PageCursor.encode(List.of(Long.toString(last.createdAt().toEpochMilli()),
                            last.executionId().uuid().toString()))));
        });
    }

    @Override
    public Mono<Page<String>> listLanes(@Nullable String cursor, int limit) {
        return Mono.defer(() -> {
            InputRules.pageLimit(limit, MAX_PAGE);
            if (limit == 0) {
                return Mono.just(Page.<String>empty());
            }
            return db.inTransaction("list_lanes", tx -> tx.query(lanesSql, r -> r.get("lane_id", String.class),
                            Bind.nullable(cursor, String.class), limit + 1))
                    .collectList()
                    .map(list -> Page.ofFetched(list, limit, last -> last));
        });
    }

    @Override
    public Mono<Page<ExpiredLease>> listExpiredLeases(@Nullable String namespace, @Nullable String cursor,
                                                      int limit) {
        return Mono.defer(() -> {
            InputRules.pageLimit(limit, MAX_EXPIRED_PAGE);
            if (limit == 0) {
                return Mono.just(Page.<ExpiredLease>empty());
            }
            if (namespace != null) {
                InputRules.namespace(namespace);
            }
            List<String> after = cursor == null ? null : PageCursor.decode(cursor);
            Object expiry = Bind.nullable(after == null ? null : PageCursor.longAt(after, 0, 3), Long.class);
            Object partition = Bind.nullable(after == null ? null : (int) PageCursor.longAt(after, 1, 3),
                    Integer.class);
            Object id = Bind.nullable(after == null ? null : PageCursor.uuidAt(after, 2, 3), UUID.class);
            return db.inTransaction("list_expired_leases", tx -> tx.query(expiredSql, r -> new ExpiredLease(
                                    ExecutionId.of(r.get("partition_key", Short.class),
                                            r.get("execution_id", UUID.class)),
                                    r.get("namespace", String.class), r.get("lane_id", String.class),
                                    r.get("current_attempt_index", Integer.class), r.get("lease_epoch", Long.class),
                                    r.get("current_worker_id", String.class),
                                    r.get("current_worker_instance_id", String.class),
                                    Instant.ofEpochMilli(r.get("lease_expires_at_ms", Long.class))),
                            Bind.nullable(namespace, String.class), expiry, partition, id, limit + 1))
                    .collectList()
                    .map(list -> Page.ofFetched(list, limit, last -> PageCursor.encode(List.of(
                            Long.toString(last.leaseExpiresAt().toEpochMilli()),
                            Integer.toString(last.executionId().partition()),
                            last.executionId().uuid().toString()))));
        });
    }

    // ---------------------------------------------------------------- row mapping

    private static ExecutionSummary summary(Readable r) {
        UUID flow = r.get("flow_id", UUID.class);
        return new ExecutionSummary(ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class)),
                r.get("namespace", String.class), r.get("lane_id", String.class),
                r.get("execution_kind", String.class), flow == null ? null : new FlowId(flow),
                r.get("priority", Integer.class), PublicState.fromLiteral(r.get("public_state", String.class)),
                Instant.ofEpochMilli(r.get("created_at_ms", Long.class)), instant(r.get("terminal_at_ms", Long.class)));
    }

    private static @Nullable Instant instant(@Nullable Long ms) {
        return ms == null ? null : Instant.ofEpochMilli(ms);
    }

    private static AttemptSnapshot attempt(Readable r) {
        String reason = r.get("end_reason", String.class);
        Long epoch = r.get("attempt_epoch", Long.class);
        return new AttemptSnapshot(r.get("attempt_index", Integer.class),
                String.valueOf(r.get("attempt_id", UUID.class)),
                AttemptType.fromLiteral(r.get("attempt_type", String.class)),
                AttemptLifecycle.fromLiteral(r.get("attempt_lifecycle", String.class)),
                epoch == null ? 0 : epoch,
                r.get("attempt_worker_id", String.class), r.get("attempt_worker_instance_id", String.class),
                Instant.ofEpochMilli(r.get("attempt_started_at_ms", Long.class)),
                instant(r.get("last_granted_at_ms", Long.class)), instant(r.get("ended_at_ms", Long.class)),
                reason == null ? null : EndReason.fromLiteral(reason),
                r.get("active_ms", Long.class));
    }

    private static ExecutionSnapshot snapshot(Readable r) {
        ExecutionId id = ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class));
        UUID flow = r.get("flow_id", UUID.class);
        StateVector state = new StateVector(
                LifecyclePhase.fromLiteral(r.get("lifecycle_phase", String.class)),
                OwnershipState.fromLiteral(r.get("ownership_state", String.class)),
                EligibilityState.fromLiteral(r.get("eligibility_state", String.class)),
                BlockingReason.fromLiteral(r.get("blocking_reason", String.class)),
                AttemptState.fromLiteral(r.get("attempt_state", String.class)),
                TerminalOutcome.fromLiteral(r.get("terminal_outcome", String.class)));
        String[] caps = r.get("required_capabilities", String[].class);
        Short pct = r.get("progress_pct", Short.class);
        Long progressAt = r.get("progress_at_ms", Long.class);
        ExecutionSnapshot.Progress progress = progressAt == null ? null : new ExecutionSnapshot.Progress(
                pct == null ? null : pct.intValue(), r.get("progress_message", String.class),
                Instant.ofEpochMilli(progressAt));
        AttemptSnapshot attempt = r.get("attempt_index", Integer.class) == null ? null : attempt(r);
        ExecutionSnapshot.LeaseSnapshot lease = Boolean.TRUE.equals(r.get("leased", Boolean.class))
                ? new ExecutionSnapshot.LeaseSnapshot(r.get("lease_epoch", Long.class),
                        r.get("current_worker_id", String.class), r.get("current_worker_instance_id", String.class),
                        Instant.ofEpochMilli(r.get("lease_granted_at_ms", Long.class)),
                        Instant.ofEpochMilli(r.get("lease_expires_at_ms", Long.class)), r.get("lease_ttl_ms", Long.class))
                : null;
        UUID suspension = r.get("current_suspension_id", UUID.class);
        return new ExecutionSnapshot(id, flow == null ? null : new FlowId(flow), r.get("namespace", String.class),
                r.get("lane_id", String.class), r.get("execution_kind", String.class), r.get("priority", Integer.class),
                JsonText.readTags(r.get("tags", String.class)), caps == null ? List.of() : Arrays.asList(caps), state,
                PublicState.fromLiteral(r.get("public_state", String.class)), r.get("blocking_detail", String.class),
                new ExecutionSnapshot.Counters(r.get("attempt_count", Integer.class),
                        r.get("current_attempt_index", Integer.class), r.get("retry_count", Integer.class),
                        r.get("replay_count", Integer.class), r.get("lease_reclaim_count", Integer.class),
                        r.get("signal_count", Integer.class), r.get("lease_epoch", Long.class)),
                new ExecutionSnapshot.Times(Instant.ofEpochMilli(r.get("created_at_ms", Long.class)),
                        instant(r.get("started_at_ms", Long.class)), instant(r.get("terminal_at_ms", Long.class)),
                        Instant.ofEpochMilli(r.get("last_mutation_at_ms", Long.class)),
                        instant(r.get("delay_until_ms", Long.class)), instant(r.get("deadline_at_ms", Long.class)),
                        instant(r.get("attempt_deadline_at_ms", Long.class))),
                progress, r.get("last_failure_message", String.class), r.get("last_failure_category", String.class),
                r.get("cancellation_reason", String.class), r.get("cancelled_by", String.class), attempt, lease,
                suspension == null ? null : suspension.toString());
    }
}
