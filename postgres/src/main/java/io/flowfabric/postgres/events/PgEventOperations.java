package io.flowfabric.postgres.events;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.CompletionPayload;
import io.flowfabric.core.events.ExecutionOutcome;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.OperatorEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.spi.EventOperations;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.OperatorEventType;
import io.flowfabric.core.state.OperatorSubjectKind;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.notify.Waiter;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Completion and lease-history subscriptions and {@code awaitOutcome} on PostgreSQL (spec 04 §5). */
public final class PgEventOperations implements EventOperations {

    /** Filters shared by every execution outbox: namespace, instance tag, execution. Parameters $4..$7. */
    private static final String COMMON_FILTER = """
            ($4::text IS NULL OR o.namespace = $4::text)
                AND ($5::text IS NULL OR o.instance_tag = $5::text)
                AND ($6::int IS NULL OR (o.partition_key = $6::int AND o.execution_id = $7::uuid))""";

    private static final String COMPLETION_COLUMNS = """
            o.partition_key, o.execution_id, o.flow_id, o.outcome, o.attempt_index, o.namespace, o.instance_tag,
            o.occurred_at_ms""";

    private static final String COMPLETION_FILTER = COMMON_FILTER + """

                AND ($8::uuid IS NULL OR o.flow_id = $8::uuid)
                AND (cardinality($9::text[]) = 0 OR o.outcome = ANY($9::text[]))""";

    private static final String LEASE_COLUMNS = """
            o.partition_key, o.execution_id, o.attempt_index, o.lease_epoch, o.event_type, o.worker_id,
            o.worker_instance_id, o.lease_expires_at_ms, o.reason, o.lease_fingerprint, o.namespace, o.instance_tag,
            o.occurred_at_ms""";

    private static final String LEASE_FILTER = COMMON_FILTER + """

                AND (cardinality($8::text[]) = 0 OR o.event_type = ANY($8::text[]))""";

    private static final String OPERATOR_COLUMNS = """
            o.subject_kind, o.subject_id, o.event_type, o.actor, o.details::text AS details, o.namespace,
            o.instance_tag, o.occurred_at_ms""";

    /**
     * Namespace, instance tag, then the subject: an execution ($6 partition, $7 its text id) or a flow ($8), then
     * the types ($9). Operator events have no execution_id column: the subject is the execution.
     */
    private static final String OPERATOR_FILTER = """
            ($4::text IS NULL OR o.namespace = $4::text)
                AND ($5::text IS NULL OR o.instance_tag = $5::text)
                AND ($6::int IS NULL OR (o.partition_key = $6::int AND o.subject_kind = 'execution'
                                         AND o.subject_id = $7::text))
                AND ($8::text IS NULL OR (o.subject_kind = 'flow' AND o.subject_id = $8::text))
                AND (cardinality($9::text[]) = 0 OR o.event_type = ANY($9::text[]))""";

    private static final String OUTCOME = """
            SELECT terminal_outcome, public_state, terminal_at_ms FROM {s}.ff_exec_core
            WHERE partition_key = $1 AND execution_id = $2""";

    private static final Duration AWAIT_POLL = Duration.ofSeconds(1);

    private final Database db;
    private final @Nullable NotificationHub hub;
    private final Channels channels;
    private final OutboxSubscription<CompletionEvent> completions;
    private final OutboxSubscription<LeaseEvent> leases;
    private final OutboxSubscription<OperatorEvent> operatorEvents;
    private final String outcomeSql;

    public PgEventOperations(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                             io.flowfabric.postgres.metrics.EngineMetrics metrics) {
        this.db = db;
        this.hub = hub;
        this.channels = channels;
        this.completions = new OutboxSubscription<>(db, sql, hub, new OutboxFamily<>("completion",
                "ff_completion_event", channels.completion(), COMPLETION_COLUMNS, COMPLETION_FILTER,
                request -> {
                    List<Object> binds = commonBinds(request);
                    binds.add(Bind.nullable(request.flowId() == null ? null : request.flowId().uuid(), UUID.class));
                    binds.add(request.outcomes().stream().map(TerminalOutcome::literal).sorted()
                            .toArray(String[]::new));
                    return binds;
                },
                PgEventOperations::completion), metrics);
        this.leases = new OutboxSubscription<>(db, sql, hub, new OutboxFamily<>("lease", "ff_lease_event",
                channels.lease(), LEASE_COLUMNS, LEASE_FILTER,
                request -> {
                    List<Object> binds = commonBinds(request);
                    binds.add(request.leaseTypes().stream().map(LeaseEventType::literal).sorted()
                            .toArray(String[]::new));
                    return binds;
                },
                PgEventOperations::lease), metrics);
        this.operatorEvents = new OutboxSubscription<>(db, sql, hub, new OutboxFamily<>("operator",
                "ff_operator_event", channels.operator(), OPERATOR_COLUMNS, OPERATOR_FILTER,
                request -> {
                    List<Object> binds = new ArrayList<>();
                    ExecutionId id = request.executionId();
                    binds.add(Bind.nullable(request.namespace(), String.class));
                    binds.add(Bind.nullable(request.instanceTag(), String.class));
                    binds.add(Bind.nullable(id == null ? null : id.partition(), Integer.class));
                    binds.add(Bind.nullable(id == null ? null : id.toString(), String.class));
                    binds.add(Bind.nullable(request.flowId() == null ? null : request.flowId().toString(),
                            String.class));
                    binds.add(request.operatorTypes().stream().map(OperatorEventType::literal).sorted()
                            .toArray(String[]::new));
                    return binds;
                },
                PgEventOperations::operator), metrics);
        this.outcomeSql = sql.render(OUTCOME);
    }

    private static List<Object> commonBinds(SubscribeRequest request) {
        List<Object> binds = new ArrayList<>();
        binds.add(Bind.nullable(request.namespace(), String.class));
        binds.add(Bind.nullable(request.instanceTag(), String.class));
        ExecutionId id = request.executionId();
        binds.add(Bind.nullable(id == null ? null : id.partition(), Integer.class));
        binds.add(Bind.nullable(id == null ? null : id.uuid(), UUID.class));
        return binds;
    }

    @Override
    public Flux<CompletionEvent> subscribeCompletions(SubscribeRequest request) {
        return completions.subscribe(request);
    }

    @Override
    public Flux<LeaseEvent> subscribeLeaseHistory(SubscribeRequest request) {
        return leases.subscribe(request);
    }

    @Override
    public Flux<OperatorEvent> subscribeOperatorEvents(SubscribeRequest request) {
        return operatorEvents.subscribe(request);
    }

    private static ExecutionId executionId(Readable r) {
        return ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class));
    }

    private static CompletionEvent completion(Readable r, io.flowfabric.core.events.EventCursor cursor, boolean gap) {
        UUID flow = r.get("flow_id", UUID.class);
        CompletionPayload payload = new CompletionPayload(executionId(r), flow == null ? null : new FlowId(flow),
                TerminalOutcome.fromLiteral(r.get("outcome", String.class)), r.get("attempt_index", Integer.class),
                r.get("namespace", String.class), r.get("instance_tag", String.class),
                Instant.ofEpochMilli(r.get("occurred_at_ms", Long.class)));
        return new CompletionEvent(cursor, cursor.eventId(), payload, gap);
    }

    private static LeaseEvent lease(Readable r, io.flowfabric.core.events.EventCursor cursor, boolean gap) {
        Long expires = r.get("lease_expires_at_ms", Long.class);
        return new LeaseEvent(cursor, cursor.eventId(), executionId(r), r.get("attempt_index", Integer.class),
                r.get("lease_epoch", Long.class), LeaseEventType.fromLiteral(r.get("event_type", String.class)),
                r.get("worker_id", String.class), r.get("worker_instance_id", String.class),
                expires == null ? null : Instant.ofEpochMilli(expires), r.get("reason", String.class),
                r.get("lease_fingerprint", String.class), r.get("namespace", String.class),
                r.get("instance_tag", String.class), Instant.ofEpochMilli(r.get("occurred_at_ms", Long.class)), gap);
    }

    private static OperatorEvent operator(Readable r, io.flowfabric.core.events.EventCursor cursor, boolean gap) {
        return new OperatorEvent(cursor, cursor.eventId(),
                OperatorSubjectKind.fromLiteral(r.get("subject_kind", String.class)), r.get("subject_id", String.class),
                OperatorEventType.fromLiteral(r.get("event_type", String.class)), r.get("actor", String.class),
                r.get("details", String.class), r.get("namespace", String.class), r.get("instance_tag", String.class),
                Instant.ofEpochMilli(r.get("occurred_at_ms", Long.class)), gap);
    }

    // ------------------------------------------------------------------------------------------ awaitOutcome

    @Override
    public Mono<ExecutionOutcome> awaitOutcome(ExecutionId id, Duration timeout) {
        return Mono.defer(() -> {
            if (id == null) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_ID,
                        "execution id is required"));
            }
            if (timeout == null || timeout.isNegative()) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "timeout must be zero or positive"));
            }
            long started = System.nanoTime();
            long deadline = started + timeout.toNanos();
            return Mono.usingWhen(Waiter.arm(hub, List.of(channels.completion())),
                    waiter -> awaitLoop(id, waiter, started, deadline),
                    waiter -> Mono.fromRunnable(waiter::dispose));
        });
    }

    private Mono<ExecutionOutcome> awaitLoop(ExecutionId id, Waiter waiter, long started, long deadline) {
        return readOutcome(id).flatMap(current -> {
            if (current.isPresent()) {
                return Mono.just(current.get());
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return Mono.error(new TimeoutException("await_outcome",
                        Duration.ofNanos(System.nanoTime() - started)));
            }
            return waiter.await(Duration.ofNanos(Math.min(remaining, AWAIT_POLL.toNanos())))
                    .then(Mono.defer(() -> awaitLoop(id, waiter, started, deadline)));
        });
    }

    /** Empty when not terminal yet; {@code NotFoundException} when the execution does not exist. */
    private Mono<Optional<ExecutionOutcome>> readOutcome(ExecutionId id) {
        return db.inTransactionOne("await_outcome", tx -> tx.queryOne(outcomeSql, r -> {
                    TerminalOutcome outcome = TerminalOutcome.fromLiteral(r.get("terminal_outcome", String.class));
                    if (outcome == TerminalOutcome.NONE) {
                        return Optional.<ExecutionOutcome>empty();
                    }
                    return Optional.of(new ExecutionOutcome(outcome,
                            PublicState.fromLiteral(r.get("public_state", String.class)),
                            Instant.ofEpochMilli(r.get("terminal_at_ms", Long.class))));
                }, id.partition(), id.uuid()))
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.EXECUTION,
                        "no execution " + id)));
    }
}
