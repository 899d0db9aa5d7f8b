package io.flowfabric.postgres.flows;

import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.notify.WakeTriggers;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import java.util.UUID;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Dispatches completion events of flow members (spec 03 §7). It runs on every node: woken at once by local commits
 * that wrote a completion event, by NOTIFYs from other nodes, and as the {@code dependency} reconciler job every
 * second for events older than the stale threshold.
 *
 * <p>Claiming marks events with a 30 s dispatch claim ({@code FOR UPDATE SKIP LOCKED}), so nodes never work on the same
 * event at once. Each applied, unresolved outgoing edge of the event's execution is resolved in its own hop
 * transaction; the event is marked dispatched only when every hop has committed. A node that dies between hops leaves
 * the event claimed; when the claim expires any node re-runs it, and resolution recorded per edge makes the re-run
 * count nothing twice.
 */
final class CompletionDispatcher implements ReconcilerJob {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionDispatcher.class);
    private static final int BATCH = 100;
    private static final int EVENT_CONCURRENCY = 8;
    private static final long CLAIM_MS = 30_000;

    private static final String CLAIM = """
            WITH c AS (
              SELECT partition_key, event_id FROM {s}.ff_completion_event
              WHERE dispatched_at_ms IS NULL
                AND (dispatch_claimed_until_ms IS NULL OR dispatch_claimed_until_ms <= {s}.now_ms())
                AND occurred_at_ms <= {s}.now_ms() - $2::bigint
              ORDER BY tx_id, event_id
              LIMIT $1
              FOR UPDATE SKIP LOCKED
            )
            UPDATE {s}.ff_completion_event e SET dispatch_claimed_until_ms = {s}.now_ms() + $3::bigint
            FROM c WHERE e.partition_key = c.partition_key AND e.event_id = c.event_id
            RETURNING e.partition_key, e.event_id, e.execution_id, e.flow_id, e.outcome""";

    private static final String OUTGOING = """
            SELECT edge_id FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2 AND upstream_id = $3 AND edge_state = 'applied'
            ORDER BY edge_id""";

    private static final String MARK_DISPATCHED = """
            UPDATE {s}.ff_completion_event SET dispatched_at_ms = {s}.now_ms(), dispatch_claimed_until_ms = NULL
            WHERE partition_key = $1 AND event_id = $2""";

    private record Event(int partition, long eventId, UUID executionId, @Nullable UUID flowId, String outcome) {
    }

    private final Database db;
    private final Channels channels;
    private final @Nullable NotificationHub hub;
    private final EdgeResolver resolver;
    private final Duration staleThreshold;
    private final IntPredicate crashBeforeHop;
    private final String claimSql;
    private final String outgoingSql;
    private final String markSql;
    private final java.util.concurrent.atomic.AtomicInteger hops = new java.util.concurrent.atomic.AtomicInteger();
    private @Nullable Disposable running;

    /**
     * @param crashBeforeHop test hook: when it answers true for a hop number (1-based, per dispatcher), the dispatcher
     *                       stops that event before the hop as if the node had died
     */
    CompletionDispatcher(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                         EdgeResolver resolver, Duration staleThreshold, IntPredicate crashBeforeHop) {
        this.db = db;
        this.channels = channels;
        this.hub = hub;
        this.resolver = resolver;
        this.staleThreshold = staleThreshold;
        this.crashBeforeHop = crashBeforeHop;
        this.claimSql = sql.render(CLAIM);
        this.outgoingSql = sql.render(OUTGOING);
        this.markSql = sql.render(MARK_DISPATCHED);
    }

    /** Starts the immediate path: local commits and NOTIFYs of the completion channel trigger a drain. */
    void start() {
        // Only flow members' completions have edges to dispatch: the flow completion channel, not every completion.
        running = WakeTriggers.onChannel(db, hub, channels.flowCompletion(), "completion dispatch", () -> drain(0));
    }

    void stop() {
        if (running != null) {
            running.dispose();
        }
    }

    /** Claims and dispatches batches until one is not full; emits the number of events dispatched. */
    private Mono<Integer> drain(long minAgeMs) {
        return dispatchBatch(minAgeMs)
                .expand(r -> r[0] >= BATCH ? dispatchBatch(minAgeMs) : Mono.empty())
                .take(10)
                .reduce(0, (sum, r) -> sum + r[1]);
    }

    /** Emits {claimed, dispatched}. */
    private Mono<int[]> dispatchBatch(long minAgeMs) {
        // Single statements run as autocommit units: no BEGIN/COMMIT round trips on the hop path.
        return db.autocommit("dispatch_claim", tx -> tx.query(claimSql, r -> new Event(
                        r.get("partition_key", Short.class), r.get("event_id", Long.class),
                        r.get("execution_id", UUID.class), r.get("flow_id", UUID.class),
                        r.get("outcome", String.class)), BATCH, minAgeMs, CLAIM_MS))
                .collectList()
                .flatMap(events -> Flux.fromIterable(events)
                        .flatMap(this::dispatch, EVENT_CONCURRENCY)
                        .filter(done -> done)
                        .count()
                        .map(n -> new int[] {events.size(), n.intValue()}));
    }

    /** Runs every hop of one event, then marks it dispatched; emits whether it was. */
    private Mono<Boolean> dispatch(Event event) {
        Mono<Boolean> hopsDone;
        if (event.flowId() == null) {
            hopsDone = Mono.just(true);
        } else {
            String resolution = EdgeResolver.resolutionOf(TerminalOutcome.fromLiteral(event.outcome()));
            hopsDone = db.autocommit("dispatch_edges", tx -> tx.query(outgoingSql, r -> r.get("edge_id", UUID.class),
                            event.partition(), event.flowId(), event.executionId()))
                    .collectList()
                    .flatMap(edges -> Flux.fromIterable(edges)
                            .concatMap(edge -> {
                                if (crashBeforeHop.test(hops.incrementAndGet())) {
                                    return Mono.error(new IllegalStateException("injected crash before a hop"));
                                }
                                return db.inTransactionOne("dispatch_hop", tx -> resolver.resolve(tx,
                                        event.partition(), event.flowId(), edge, resolution, event.eventId()));
                            })
                            .then(Mono.just(true)));
        }
        return hopsDone
                .flatMap(done -> db.autocommitOne("dispatch_mark",
                        tx -> tx.update(markSql, event.partition(), event.eventId())).thenReturn(true))
                .onErrorResume(e -> {
                    // The event keeps its claim; when it expires any node retries it.
                    LOG.debug("dispatch of completion event {} stopped: {}", event.eventId(), e.toString());
                    return Mono.just(false);
                });
    }

    // --------------------------------------------------------------------------------- dependency job (backstop)

    @Override
    public String name() {
        return "dependency";
    }

    @Override
    public Duration defaultInterval() {
        return Duration.ofSeconds(1);
    }

    @Override
    public int batchSize() {
        return BATCH;
    }

    @Override
    public Mono<TickReport> runBatch() {
        long started = System.nanoTime();
        return dispatchBatch(staleThreshold.toMillis())
                .map(r -> new TickReport(name(), r[0], r[1], 0, r[0] - r[1],
                        Duration.ofNanos(System.nanoTime() - started)));
    }
}
