package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ReplayOptions;
import io.flowfabric.core.execution.Replayed;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.spi.OperatorOperations;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** Operator controls on PostgreSQL (spec 02 §8): cancel and replay. */
final class PgOperatorOperations implements OperatorOperations {

    private static final String OPERATOR_EVENT = """
            INSERT INTO {s}.ff_operator_event (partition_key, occurred_at_ms, namespace, instance_tag, subject_kind,
                subject_id, event_type, actor, details)
            VALUES ($1, {s}.now_ms(), $2, $3, 'execution', $4, $5, $6, $7::jsonb)""";

    /** The execution's flow, read without a lock to decide which locks the replay takes first. */
    private static final String MEMBER_FLOW = """
            SELECT flow_id FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    /** Read once the row is locked; {@link ExecRow} does not carry it. */
    private static final String REPLAY_COUNT = """
            SELECT replay_count FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    /**
     * The replay write of 02 §8.4 on a locked terminal row: $3/$4 are the eligibility and blocking reason of the
     * "replay ready" or the "waiting for dependencies, not started" vector; $5 the new deadline in ms from now (NULL
     * for none). A flow member's flow is marked dirty for the summary projector.
     */
    private static final String REPLAY = """
            WITH x AS (
              UPDATE {s}.ff_exec_core SET
                lifecycle_phase = 'runnable', ownership_state = 'unowned', eligibility_state = $3,
                blocking_reason = $4, blocking_detail = NULL, attempt_state = 'pending_replay_attempt',
                terminal_outcome = 'none', terminal_at_ms = NULL,
                replay_count = replay_count + 1, retry_count = 0,
                result_payload = NULL, result_encoding = NULL,
                last_failure_message = NULL, last_failure_category = NULL,
                cancellation_reason = NULL, cancelled_by = NULL,
                deadline_at_ms = {s}.now_ms() + $5::bigint, delay_until_ms = NULL, attempt_deadline_at_ms = NULL,
                reserved_until_ms = NULL, reserved_grant_id = NULL,
                last_mutation_at_ms = {s}.now_ms()
              WHERE partition_key = $1 AND execution_id = $2 AND lifecycle_phase = 'terminal'
              RETURNING partition_key, flow_id
            ), d AS (
              INSERT INTO {s}.ff_flow_dirty (partition_key, flow_id, marked_at_ms)
              SELECT x.partition_key, x.flow_id, {s}.now_ms() FROM x WHERE x.flow_id IS NOT NULL
              ON CONFLICT DO NOTHING
              RETURNING 1
            )
            SELECT count(*) AS replayed FROM x""";

    private static final String PUBLIC_STATE = """
            SELECT public_state FROM {s}.ff_exec_core WHERE partition_key = $1 AND execution_id = $2""";

    private final ExecutionSettings settings;
    private final Database db;
    private final TerminalTransition terminal;
    private final String lockSql;
    private final String operatorEventSql;
    private final String memberFlowSql;
    private final String replayCountSql;
    private final String replaySql;
    private final String publicStateSql;
    private volatile MemberReplay memberReplay = new MemberReplay() {
        @Override
        public Mono<Locked> lock(Tx tx, ExecutionId id, UUID flowId, Mono<ExecRow> lockExecution) {
            return Mono.error(new IllegalStateException("flows are not wired into this engine"));
        }

        @Override
        public Mono<Void> resetGroup(Tx tx, ExecutionId id, UUID flowId) {
            return Mono.error(new IllegalStateException("flows are not wired into this engine"));
        }
    };

    PgOperatorOperations(ExecutionSettings settings, TerminalTransition terminal) {
        this.settings = settings;
        this.db = settings.database();
        this.terminal = terminal;
        this.lockSql = settings.sql().render(ExecRow.LOCK);
        this.operatorEventSql = settings.sql().render(OPERATOR_EVENT);
        this.memberFlowSql = settings.sql().render(MEMBER_FLOW);
        this.replayCountSql = settings.sql().render(REPLAY_COUNT);
        this.replaySql = settings.sql().render(REPLAY);
        this.publicStateSql = settings.sql().render(PUBLIC_STATE);
    }

    /** Connects the replay of flow members to the flows package; set once while the engine is built. */
    void memberReplay(MemberReplay replay) {
        this.memberReplay = Objects.requireNonNull(replay);
    }

    @Override
    public Mono<Cancelled> cancelExecution(ExecutionId id, @Nullable String reason, @Nullable String actor) {
        return Mono.defer(() -> {
            if (id == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_ID, "execution id is required");
            }
            if (reason != null) {
                InputRules.maxUtf8Bytes("cancel reason", reason, Limits.MAX_REASON_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            if (actor != null) {
                InputRules.maxUtf8Bytes("actor", actor, Limits.MAX_IDENTITY_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            return db.inTransactionOne("operator_cancel", tx -> tx.queryOne(lockSql, ExecRow::read,
                            id.partition(), id.uuid())
                    .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.EXECUTION,
                            "no execution " + id)))
                    .flatMap(row -> cancelLocked(tx, row, reason, actor)));
        });
    }

    private Mono<Cancelled> cancelLocked(Tx tx, ExecRow row, @Nullable String reason, @Nullable String actor) {
        if (row.terminal()) {
            if (row.outcome() == TerminalOutcome.CANCELLED) {
                return Mono.just(new Cancelled(PublicState.CANCELLED));
            }
            return Mono.error(new StateException(StateException.Kind.ALREADY_TERMINAL,
                    row.id() + " already ended with outcome " + row.outcome().literal(),
                    Map.of("outcome", row.outcome().literal(), "publicState", row.publicState().literal())));
        }
        tx.notifyOnCommit(settings.channels().operator());
        String details = JsonText.write(JsonText.object().put("reason", reason));
        return terminal.apply(tx, row, TerminalTransition.Terminal.cancelled("operator", reason,
                        LeaseEventType.REVOKED))
                .flatMap(state -> tx.update(operatorEventSql, row.id().partition(), row.namespace(),
                                Bind.nullable(row.instanceTag(), String.class), row.id().toString(),
                                "execution_cancelled", Bind.nullable(actor, String.class), details)
                        .thenReturn(new Cancelled(state)));
    }

    @Override
    public Mono<Replayed> replayExecution(ExecutionId id, ReplayOptions options) {
        return Mono.defer(() -> {
            if (id == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_ID, "execution id is required");
            }
            if (options == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "replay options are required");
            }
            if (options.reason() != null) {
                InputRules.maxUtf8Bytes("replay reason", options.reason(), Limits.MAX_REASON_BYTES,
                        ValidationException.Kind.LIMIT_EXCEEDED);
            }
            Duration deadline = options.deadlineAfter();
            if (deadline != null) {
                InputRules.durationInRange("deadlineAfter", deadline, Duration.ofMillis(1),
                        Limits.DEADLINE_MAX_AHEAD, ValidationException.Kind.INVALID_INPUT);
            }
            return db.inTransactionOne("operator_replay", tx -> tx.queryOne(memberFlowSql,
                            r -> java.util.Optional.ofNullable(r.get("flow_id", UUID.class)), id.partition(), id.uuid())
                    .switchIfEmpty(Mono.error(() -> notFound(id)))
                    .flatMap(flow -> lockForReplay(tx, id, flow.orElse(null)))
                    .flatMap(locked -> replayLocked(tx, locked, options)));
        });
    }

    private static NotFoundException notFound(ExecutionId id) {
        return new NotFoundException(NotFoundException.Entity.EXECUTION, "no execution " + id);
    }

    /**
     * Takes the replay's locks for the flow the execution belonged to when it was read. Membership only ever goes
     * from none to one flow; if the execution joined a flow in between, the flow's locks are taken again after the
     * row lock (a reversed order that PostgreSQL's deadlock detection and the unit's retry cover).
     */
    private Mono<MemberReplay.Locked> lockForReplay(Tx tx, ExecutionId id, @Nullable UUID flowId) {
        Mono<ExecRow> lockRow = Mono.defer(() -> tx.queryOne(lockSql, ExecRow::read, id.partition(), id.uuid()));
        Mono<MemberReplay.Locked> locked = flowId == null
                ? lockRow.map(row -> new MemberReplay.Locked(row, false, false))
                : memberReplay.lock(tx, id, flowId, lockRow);
        return locked
                .switchIfEmpty(Mono.error(() -> notFound(id)))
                .flatMap(l -> l.row().flowId() != null && !l.row().flowId().equals(flowId)
                        ? lockForReplay(tx, id, l.row().flowId())
                        : Mono.just(l));
    }

    private Mono<Replayed> replayLocked(Tx tx, MemberReplay.Locked locked, ReplayOptions options) {
        ExecRow row = locked.row();
        if (!row.terminal()) {
            return Mono.error(new StateException(StateException.Kind.EXECUTION_NOT_TERMINAL,
                    row.id() + " is " + row.publicState().literal() + ", not terminal",
                    Map.of("publicState", row.publicState().literal())));
        }
        int cap = ExecutionPolicy.fromJson(row.policyJson()).maxReplayCount();
        return tx.queryOne(replayCountSql, r -> r.get("replay_count", Integer.class), row.id().partition(),
                        row.id().uuid())
                .flatMap(count -> {
                    if (count >= cap) {
                        return Mono.error(new StateException(StateException.Kind.REPLAY_CAP_EXCEEDED,
                                row.id() + " was replayed " + count + " times; maxReplayCount is " + cap,
                                Map.of("replayCount", count, "maxReplayCount", cap)));
                    }
                    if (locked.flowCancelled()) {
                        return Mono.error(new StateException(StateException.Kind.FLOW_TERMINAL,
                                "the flow of " + row.id() + " is cancelled"));
                    }
                    return write(tx, locked, options);
                });
    }

    private Mono<Replayed> write(Tx tx, MemberReplay.Locked locked, ReplayOptions options) {
        ExecRow row = locked.row();
        ExecutionId id = row.id();
        boolean grouped = locked.grouped();
        Object deadline = Bind.nullable(options.deadlineAfter() == null ? null : options.deadlineAfter().toMillis(),
                Long.class);
        Mono<Void> vector = tx.queryOne(replaySql, r -> r.get("replayed", Long.class), id.partition(), id.uuid(),
                        grouped ? "blocked_by_dependencies" : "eligible_now",
                        grouped ? "waiting_for_children" : "waiting_for_worker", deadline)
                .then();
        Mono<Void> effect;
        if (grouped) {
            effect = memberReplay.resetGroup(tx, id, row.flowId());
        } else {
            tx.notifyOnCommit(settings.channels().ready(row.lane()));
            effect = Mono.empty();
        }
        tx.notifyOnCommit(settings.channels().operator());
        String details = JsonText.write(JsonText.object()
                .put("branch", grouped ? "flow_member" : "normal")
                .put("groupsReset", grouped ? 1 : 0)
                .put("reason", options.reason()));
        return vector
                .then(effect)
                .then(tx.update(operatorEventSql, id.partition(), row.namespace(),
                        Bind.nullable(row.instanceTag(), String.class), id.toString(), "replayed",
                        new Bind(String.class), details))
                .then(tx.queryOne(publicStateSql, r -> PublicState.fromLiteral(r.get("public_state", String.class)),
                        id.partition(), id.uuid()))
                .map(Replayed::new);
    }
}
