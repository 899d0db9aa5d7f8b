package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.id.ExecutionId;
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
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** Operator controls on PostgreSQL (spec 02 §8). */
final class PgOperatorOperations implements OperatorOperations {

    private static final String OPERATOR_EVENT = """
            INSERT INTO {s}.ff_operator_event (partition_key, occurred_at_ms, namespace, instance_tag, subject_kind,
                subject_id, event_type, actor, details)
            VALUES ($1, {s}.now_ms(), $2, $3, 'execution', $4, $5, $6, $7::jsonb)""";

    private final ExecutionSettings settings;
    private final Database db;
    private final TerminalTransition terminal;
    private final String lockSql;
    private final String operatorEventSql;

    PgOperatorOperations(ExecutionSettings settings, TerminalTransition terminal) {
        this.settings = settings;
        this.db = settings.database();
        this.terminal = terminal;
        this.lockSql = settings.sql().render(ExecRow.LOCK);
        this.operatorEventSql = settings.sql().render(OPERATOR_EVENT);
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
}
