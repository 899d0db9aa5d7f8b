package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.BudgetId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.Partitions;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The unit of work of {@code createExecution} (spec 02 §2 effects 1–6), one READ COMMITTED transaction on an already
 * validated request. Statements run in the global lock order: idempotency row, flow row, execution row.
 */
final class CreateStatement {

    private static final String CLAIM_IDEMPOTENCY_KEY = """
            INSERT INTO {s}.ff_idempotency AS i (partition_key, namespace, idempotency_key, execution_id,
                execution_partition_key, expires_at_ms)
            VALUES ($1, $2, $3, $4, $5, {s}.now_ms() + $6::bigint)
            ON CONFLICT (partition_key, namespace, idempotency_key) DO UPDATE
              SET execution_id = EXCLUDED.execution_id, execution_partition_key = EXCLUDED.execution_partition_key,
                  expires_at_ms = EXCLUDED.expires_at_ms
              WHERE i.expires_at_ms <= {s}.now_ms()
            RETURNING execution_id""";

    private static final String EXISTING_IDEMPOTENCY_KEY = """
            SELECT i.execution_id, i.execution_partition_key, e.public_state
            FROM {s}.ff_idempotency i
            LEFT JOIN {s}.ff_exec_core e ON e.partition_key = i.execution_partition_key
                 AND e.execution_id = i.execution_id
            WHERE i.partition_key = $1 AND i.namespace = $2 AND i.idempotency_key = $3""";

    private static final String MISSING_BUDGETS = """
            SELECT b.id FROM unnest($1::int[], $2::uuid[]) AS b(pk, id)
            WHERE NOT EXISTS (SELECT 1 FROM {s}.ff_budget x WHERE x.partition_key = b.pk AND x.budget_id = b.id)""";

    private static final String QUOTA_EXISTS = """
            SELECT 1 AS found FROM {s}.ff_quota_policy WHERE partition_key = $1 AND quota_policy_id = $2""";

    private static final String LOCK_FLOW = """
            SELECT namespace, public_flow_state FROM {s}.ff_flow_core
            WHERE partition_key = $1 AND flow_id = $2
            FOR UPDATE""";

    private static final String BUMP_FLOW = """
            UPDATE {s}.ff_flow_core SET graph_revision = graph_revision + 1, node_count = node_count + 1,
                   last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND flow_id = $2""";

    /**
     * The insert, with the deadline and delay checked against the database clock in the same statement (nothing is
     * inserted when they fail) and the ready notification sent by the statement itself when the new execution is
     * eligible ($23: the channels; empty when the caller notifies). One row always comes back: the checks, and the
     * inserted row's state when one was inserted (none: the id already existed).
     */
    private static final String INSERT = """
            WITH d AS (
              SELECT {s}.now_ms() AS now_ms,
                     coalesce($18::bigint, {s}.now_ms() + $19::bigint) AS delay_until_ms,
                     coalesce($20::bigint, {s}.now_ms() + $21::bigint) AS deadline_at_ms
            ), v AS (
              SELECT d.*, (d.deadline_at_ms IS NULL OR d.deadline_at_ms > d.now_ms) AS deadline_after_now,
                     (d.deadline_at_ms IS NULL OR d.deadline_at_ms - d.now_ms <= $22::bigint) AS deadline_in_range,
                     (d.delay_until_ms IS NULL OR d.delay_until_ms - d.now_ms <= $22::bigint) AS delay_in_range
              FROM d
            ), ins AS (
              INSERT INTO {s}.ff_exec_core (partition_key, execution_id, namespace, lane_id, execution_kind, flow_id,
                  creator_identity, idempotency_key, input_payload, input_encoding, priority, required_capabilities,
                  budget_ids, quota_policy_id, policy, tags, instance_tag,
                  lifecycle_phase, ownership_state, eligibility_state, blocking_reason, terminal_outcome,
                  attempt_state, attempt_count, current_attempt_index, retry_count, replay_count, lease_reclaim_count,
                  signal_count, lease_epoch, created_at_ms, last_mutation_at_ms, delay_until_ms, deadline_at_ms)
              SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13::uuid[], $14, $15::jsonb,
                     $16::jsonb, $17,
                     'runnable', 'unowned',
                     CASE WHEN v.delay_until_ms > v.now_ms THEN 'not_eligible_until_time' ELSE 'eligible_now' END,
                     CASE WHEN v.delay_until_ms > v.now_ms THEN 'waiting_for_delay' ELSE 'waiting_for_worker' END,
                     'none', 'pending_first_attempt', 0, NULL, 0, 0, 0, 0, 0, v.now_ms, v.now_ms,
                     CASE WHEN v.delay_until_ms > v.now_ms THEN v.delay_until_ms END, v.deadline_at_ms
              FROM v
              WHERE v.deadline_after_now AND v.deadline_in_range AND v.delay_in_range
              ON CONFLICT (partition_key, execution_id) DO NOTHING
              RETURNING public_state, eligibility_state
            ), n AS (
              SELECT pg_notify(c, '') FROM unnest($23::text[]) AS c
              WHERE EXISTS (SELECT 1 FROM ins WHERE eligibility_state = 'eligible_now')
            )
            SELECT v.deadline_after_now, v.deadline_in_range, v.delay_in_range, i.public_state, i.eligibility_state,
                   (SELECT count(*) FROM n) AS notified
            FROM v LEFT JOIN ins i ON true""";

    /**
     * {@link #INSERT} for many simple creates at once (group commit): the rows travel as one JSON array ($1), inputs
     * base64-encoded, and each row's deadline and delay are checked against the database clock as in the one-row
     * statement. A row that fails a check, or whose id is taken, is left out: its caller then runs the one-row
     * statement, which reports why. Each inserted, eligible row's ready channel is notified, each channel once.
     */
    private static final String INSERT_MANY = """
            WITH r AS (
              SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(pk int, id uuid, namespace text, lane text, kind text,
                  creator text, input text, encoding text, priority int, caps jsonb, policy jsonb, tags jsonb,
                  instance_tag text, delay_until bigint, delay_for bigint, deadline_at bigint, deadline_after bigint,
                  channel text)
            ), d AS (
              SELECT r.*, {s}.now_ms() AS now_ms,
                     coalesce(r.delay_until, {s}.now_ms() + r.delay_for) AS delay_until_ms,
                     coalesce(r.deadline_at, {s}.now_ms() + r.deadline_after) AS deadline_at_ms
              FROM r
            ), ins AS (
              INSERT INTO {s}.ff_exec_core (partition_key, execution_id, namespace, lane_id, execution_kind,
                  creator_identity, input_payload, input_encoding, priority, required_capabilities, policy, tags,
                  instance_tag, lifecycle_phase, ownership_state, eligibility_state, blocking_reason, terminal_outcome,
                  attempt_state, attempt_count, current_attempt_index, retry_count, replay_count, lease_reclaim_count,
                  signal_count, lease_epoch, created_at_ms, last_mutation_at_ms, delay_until_ms, deadline_at_ms)
              SELECT d.pk, d.id, d.namespace, d.lane, d.kind, d.creator, decode(d.input, 'base64'), d.encoding,
                     d.priority, ARRAY(SELECT jsonb_array_elements_text(d.caps)), d.policy, d.tags, d.instance_tag,
                     'runnable', 'unowned',
                     CASE WHEN d.delay_until_ms > d.now_ms THEN 'not_eligible_until_time' ELSE 'eligible_now' END,
                     CASE WHEN d.delay_until_ms > d.now_ms THEN 'waiting_for_delay' ELSE 'waiting_for_worker' END,
                     'none', 'pending_first_attempt', 0, NULL, 0, 0, 0, 0, 0, d.now_ms, d.now_ms,
                     CASE WHEN d.delay_until_ms > d.now_ms THEN d.delay_until_ms END, d.deadline_at_ms
              FROM d
              WHERE (d.deadline_at_ms IS NULL OR d.deadline_at_ms > d.now_ms)
                AND (d.deadline_at_ms IS NULL OR d.deadline_at_ms - d.now_ms <= $2::bigint)
                AND (d.delay_until_ms IS NULL OR d.delay_until_ms - d.now_ms <= $2::bigint)
              ORDER BY d.pk, d.id
              ON CONFLICT (partition_key, execution_id) DO NOTHING
              RETURNING partition_key, execution_id, public_state, eligibility_state
            ), n AS (
              SELECT pg_notify(c.channel, '') FROM (
                SELECT DISTINCT r.channel FROM r JOIN ins ON ins.partition_key = r.pk AND ins.execution_id = r.id
                WHERE ins.eligibility_state = 'eligible_now') c
            )
            SELECT ins.partition_key, ins.execution_id, ins.public_state, (SELECT count(*) FROM n) AS notified
            FROM ins""";

    private static final String EXISTING_STATE = """
            SELECT public_state FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    private static final String STATE_AFTER_DEPENDENCIES = """
            SELECT public_state, eligibility_state FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    private static final String INSERT_LANE = """
            INSERT INTO {s}.ff_lane (lane_id, first_seen_at_ms) VALUES ($1, {s}.now_ms())
            ON CONFLICT (lane_id) DO NOTHING""";

    /** Relative and absolute deadlines may not reach further than this (09 §4). */
    static final long MAX_AHEAD_MS = 365L * 24 * 3600 * 1000;

    private final String claimKey;
    private final String existingKey;
    private final String missingBudgets;
    private final String quotaExists;
    private final String lockFlow;
    private final String bumpFlow;
    private final String insert;
    private final String insertMany;
    private final String existingState;
    private final String insertLane;
    private final Set<String> knownLanes = ConcurrentHashMap.newKeySet();
    private final String stateAfterDependencies;
    private volatile DependencyStager stager = (tx, down, flow, deps, policy) -> Mono.error(
            new IllegalStateException("flows are not wired into this engine"));

    CreateStatement(SqlTemplate sql) {
        this.claimKey = sql.render(CLAIM_IDEMPOTENCY_KEY);
        this.existingKey = sql.render(EXISTING_IDEMPOTENCY_KEY);
        this.missingBudgets = sql.render(MISSING_BUDGETS);
        this.quotaExists = sql.render(QUOTA_EXISTS);
        this.lockFlow = sql.render(LOCK_FLOW);
        this.bumpFlow = sql.render(BUMP_FLOW);
        this.insert = sql.render(INSERT);
        this.insertMany = sql.render(INSERT_MANY);
        this.existingState = sql.render(EXISTING_STATE);
        this.insertLane = sql.render(INSERT_LANE);
        this.stateAfterDependencies = sql.render(STATE_AFTER_DEPENDENCIES);
    }

    void dependencyStager(DependencyStager stager) {
        this.stager = stager;
    }

    /** The unit of work; {@code onReady} is told the lane when the new execution is eligible at once. */
    Mono<CreateResult> run(Tx tx, ValidCreate c, java.util.function.Consumer<String> onReady) {
        Mono<CreateResult> afterKey = Mono.defer(() -> checkReferences(tx, c)
                .then(lockFlow(tx, c))
                .then(insertExecution(tx, c, onReady)));
        if (c.idempotencyKey() == null) {
            return afterKey;
        }
        int keyPartition = Partitions.ofIdempotencyKey(c.namespace(), c.idempotencyKey());
        return tx.query(claimKey, r -> r.get("execution_id", UUID.class), keyPartition, c.namespace(),
                        c.idempotencyKey(), c.id().uuid(), c.id().partition(), c.idempotencyTtlMs())
                .hasElements()
                .flatMap(claimed -> claimed
                        ? afterKey
                        : tx.queryOne(existingKey, r -> (CreateResult) new CreateResult.Duplicate(
                                        ExecutionId.of(r.get("execution_partition_key", Short.class),
                                                r.get("execution_id", UUID.class)),
                                        stateOrWaiting(r.get("public_state", String.class))),
                                keyPartition, c.namespace(), c.idempotencyKey()));
    }

    private static PublicState stateOrWaiting(String literal) {
        // The keyed execution can be gone (retention) while its key still lives; report it as never progressed.
        return literal == null ? PublicState.WAITING : PublicState.fromLiteral(literal);
    }

    private Mono<Void> checkReferences(Tx tx, ValidCreate c) {
        Mono<Void> budgets = Mono.empty();
        if (!c.budgetIds().isEmpty()) {
            List<BudgetId> ids = c.budgetIds();
            Integer[] partitions = ids.stream().map(b -> Partitions.ofUuid(b.uuid())).toArray(Integer[]::new);
            UUID[] uuids = ids.stream().map(BudgetId::uuid).toArray(UUID[]::new);
            budgets = tx.query(missingBudgets, r -> r.get("id", UUID.class), partitions, uuids)
                    .next()
                    .flatMap(missing -> Mono.error(new NotFoundException(NotFoundException.Entity.BUDGET,
                            "no budget " + missing)));
        }
        Mono<Void> quota = Mono.empty();
        if (c.quotaPolicyId() != null) {
            UUID q = c.quotaPolicyId().uuid();
            quota = tx.query(quotaExists, r -> 1, Partitions.ofUuid(q), q).hasElements()
                    .flatMap(found -> found ? Mono.empty() : Mono.error(new NotFoundException(
                            NotFoundException.Entity.QUOTA_POLICY, "no quota policy " + q)));
        }
        return budgets.then(quota);
    }

    private Mono<Void> lockFlow(Tx tx, ValidCreate c) {
        if (c.flowId() == null) {
            return Mono.empty();
        }
        UUID flow = c.flowId().uuid();
        return tx.queryOne(lockFlow, r -> new String[] {r.get("namespace", String.class),
                        r.get("public_flow_state", String.class)}, c.id().partition(), flow)
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.FLOW, "no flow " + flow)))
                .flatMap(f -> {
                    if ("cancelled".equals(f[1])) {
                        return Mono.error(new StateException(StateException.Kind.FLOW_TERMINAL,
                                "flow " + flow + " is cancelled"));
                    }
                    if (!c.namespace().equals(f[0])) {
                        return Mono.error(new ValidationException(ValidationException.Kind.NAMESPACE_MISMATCH,
                                "flow " + flow + " is in another namespace"));
                    }
                    return Mono.empty();
                });
    }

    /**
     * Whether the request needs nothing but the insert: no idempotency key, budgets, quota, flow or dependencies, and
     * a lane already known. Such a create runs as one autocommit statement ({@link #runSimple}).
     */
    boolean simple(ValidCreate c) {
        return c.idempotencyKey() == null && c.budgetIds().isEmpty() && c.quotaPolicyId() == null
                && c.flowId() == null && c.dependsOn().isEmpty() && c.dependsOnPolicy() == null
                && knownLanes.contains(c.lane());
    }

    /** The whole create as one statement that notifies the lane itself. */
    Mono<CreateResult> runSimple(Tx tx, ValidCreate c, String readyChannel) {
        return insert(tx, c, List.of(readyChannel))
                .flatMap(ins -> ins.publicState() == null ? Mono.empty()
                        : Mono.just((CreateResult) new CreateResult.Created(c.id(), ins.publicState())));
    }

    /**
     * Many simple creates in one statement (group commit). Emits a {@code Created} for each execution it inserted; the
     * others (a failed check or a taken id) are not emitted and must run {@link #runSimple} alone.
     *
     * @param readyChannel the ready channel of a lane
     */
    Flux<CreateResult.Created> runSimpleMany(Tx tx, List<ValidCreate> creates, Function<String, String> readyChannel) {
        ArrayNode rows = JsonText.MAPPER.createArrayNode();
        Set<String> channels = new java.util.LinkedHashSet<>();
        for (ValidCreate c : creates) {
            String channel = readyChannel.apply(c.lane());
            channels.add(channel);
            ObjectNode row = rows.addObject();
            row.put("pk", c.id().partition());
            row.put("id", c.id().uuid().toString());
            row.put("namespace", c.namespace());
            row.put("lane", c.lane());
            row.put("kind", c.executionKind());
            row.put("creator", c.creatorIdentity());
            row.put("input", Base64.getEncoder().encodeToString(c.input()));
            row.put("encoding", c.inputEncoding());
            row.put("priority", c.priority());
            c.requiredCapabilities().forEach(row.putArray("caps")::add);
            row.putRawValue("policy", new RawValue(c.policyJson()));
            row.putRawValue("tags", new RawValue(JsonText.tags(c.tags())));
            row.put("instance_tag", c.instanceTag());
            row.put("delay_until", c.delayUntilMs());
            row.put("delay_for", c.delayForMs());
            row.put("deadline_at", c.deadlineAtMs());
            row.put("deadline_after", c.deadlineAfterMs());
            row.put("channel", channel);
        }
        // Registers the channels with the local commit feed; a delayed row's lane is woken needlessly, harmlessly.
        tx.notifiedInStatement(channels);
        return tx.query(insertMany, r -> new CreateResult.Created(
                                ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class)),
                                PublicState.fromLiteral(r.get("public_state", String.class))),
                        rows.toString(), MAX_AHEAD_MS);
    }

    /** The state of an execution whose id was already taken (a {@code Duplicate}). */
    Mono<CreateResult> duplicate(Tx tx, ValidCreate c) {
        return tx.queryOne(existingState, r -> (CreateResult) new CreateResult.Duplicate(c.id(),
                PublicState.fromLiteral(r.get("public_state", String.class))), c.id().partition(), c.id().uuid());
    }

    private Mono<Inserted> insert(Tx tx, ValidCreate c, List<String> notify) {
        return tx.queryOne(insert, Inserted::read,
                        c.id().partition(), c.id().uuid(), c.namespace(), c.lane(), c.executionKind(),
                        Bind.nullable(c.flowId() == null ? null : c.flowId().uuid(), UUID.class),
                        Bind.nullable(c.creatorIdentity(), String.class),
                        Bind.nullable(c.idempotencyKey(), String.class),
                        c.input(), c.inputEncoding(), c.priority(),
                        c.requiredCapabilities().toArray(String[]::new),
                        c.budgetIds().stream().map(BudgetId::uuid).toArray(UUID[]::new),
                        Bind.nullable(c.quotaPolicyId() == null ? null : c.quotaPolicyId().uuid(), UUID.class),
                        c.policyJson(), JsonText.tags(c.tags()),
                        Bind.nullable(c.instanceTag(), String.class),
                        Bind.nullable(c.delayUntilMs(), Long.class), Bind.nullable(c.delayForMs(), Long.class),
                        Bind.nullable(c.deadlineAtMs(), Long.class), Bind.nullable(c.deadlineAfterMs(), Long.class),
                        MAX_AHEAD_MS, tx.notifiedInStatement(notify))
                .flatMap(ins -> {
                    // Deadlines and absolute delays are judged on the database clock; when they fail nothing was
                    // inserted.
                    if (!ins.deadlineAfterNow()) {
                        return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                                "deadline must be after the database's now"));
                    }
                    if (!ins.deadlineInRange()) {
                        return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                                "deadline may be at most 365 days ahead"));
                    }
                    if (!ins.delayInRange()) {
                        return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                                "delay may be at most 365 days"));
                    }
                    return Mono.just(ins);
                });
    }

    private Mono<CreateResult> insertExecution(Tx tx, ValidCreate c, java.util.function.Consumer<String> onReady) {
        return insert(tx, c, List.of())
                .flatMap(ins -> ins.publicState() == null ? duplicate(tx, c) : afterInsert(tx, c, ins, onReady));
    }

    private record Inserted(boolean deadlineAfterNow, boolean deadlineInRange, boolean delayInRange,
                            @org.jspecify.annotations.Nullable PublicState publicState, boolean eligible) {
        static Inserted read(io.r2dbc.spi.Readable r) {
            String state = r.get("public_state", String.class);
            return new Inserted(Boolean.TRUE.equals(r.get("deadline_after_now", Boolean.class)),
                    Boolean.TRUE.equals(r.get("deadline_in_range", Boolean.class)),
                    Boolean.TRUE.equals(r.get("delay_in_range", Boolean.class)),
                    state == null ? null : PublicState.fromLiteral(state),
                    "eligible_now".equals(r.get("eligibility_state", String.class)));
        }
    }

    private Mono<CreateResult> afterInsert(Tx tx, ValidCreate c, Inserted ins,
                                           java.util.function.Consumer<String> onReady) {
        Mono<Long> flowBump = c.flowId() == null ? Mono.just(0L)
                : tx.update(bumpFlow, c.id().partition(), c.flowId().uuid());
        Mono<Long> lane = knownLanes.contains(c.lane()) ? Mono.just(0L) : tx.update(insertLane, c.lane());
        if (!c.dependsOn().isEmpty() || c.dependsOnPolicy() != null) {
            // Stage and apply every edge now, so the execution is born blocked (or already decided).
            return flowBump.then(lane)
                    .then(stager.stageAndApply(tx, c.id(), c.flowId(), c.dependsOn(), c.dependsOnPolicy()))
                    .then(tx.queryOne(stateAfterDependencies, r -> new Object[] {
                            r.get("public_state", String.class), r.get("eligibility_state", String.class)},
                            c.id().partition(), c.id().uuid()))
                    .map(state -> {
                        if ("eligible_now".equals(state[1])) {
                            onReady.accept(c.lane());
                        }
                        return (CreateResult) new CreateResult.Created(c.id(),
                                PublicState.fromLiteral((String) state[0]));
                    });
        }
        return flowBump.then(lane).then(Mono.fromCallable(() -> {
            if (ins.eligible()) {
                onReady.accept(c.lane());
            }
            return (CreateResult) new CreateResult.Created(c.id(), ins.publicState());
        }));
    }

    /** Remembers a lane once its row is known to be committed, so later creates skip the insert. */
    void laneCommitted(String lane) {
        knownLanes.add(lane);
    }
}
