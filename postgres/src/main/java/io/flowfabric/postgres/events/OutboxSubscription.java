package io.flowfabric.postgres.events;

import io.flowfabric.core.error.FlowFabricException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.notify.Waiter;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlErrors;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The commit-order-safe outbox reader of spec 04 §4, shared by every subscription family.
 *
 * <p>Each read computes, in the same statement, the horizon H = the oldest transaction still running in the
 * statement's snapshot, and returns rows with (tx_id, event_id) after the position and tx_id &lt; H, in that order.
 * Every transaction below H has finished, so a row that becomes visible later has tx_id ≥ H and sorts after every
 * row delivered: nothing is skipped, whatever order transactions commit in. After a batch that was not full the
 * position moves to (H, 0), past rows the filters excluded.
 *
 * <p>The loop: arm the family's channel, then repeatedly read a batch and emit it; after a full batch read again at
 * once, otherwise park (no connection held) until a wake or the poll interval. The next read starts only once the
 * previous batch was fully delivered to the subscriber, so a subscriber holds at most one batch. Subscribers of the
 * family at the same position with the same filters share a read that is in flight, provided it was issued after the
 * wake they act on: the caught-up subscribers a notification wakes cost one statement together, while a subscriber
 * that fell behind reads on its own and slows nobody.
 *
 * <p>Gauges per family: {@code flowfabric.subscription.lag}, the largest over open subscriptions of the age (database
 * clock) of the newest event their last read returned, 0 for a read that returned none (caught up); and
 * {@code flowfabric.subscription.buffered}, events read but not yet emitted for lack of demand, summed.
 */
final class OutboxSubscription<T> {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxSubscription.class);
    private static final int MAX_BATCH = 1000;

    private static final String HORIZON = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon";

    private static final String WATERMARK = """
            SELECT tx_id::text AS tx_id, event_id FROM {s}.ff_outbox_watermark WHERE outbox_table = $1""";

    /**
     * The read. The held-back count is bounded on both sides, {@code horizon <= tx_id < xmax} (a row of a transaction
     * at or after xmax is invisible to the statement anyway), and stops at 1000. Written one-sided, as
     * {@code tx_id >= horizon}, the planner assumed a third of the table matched and scanned the whole outbox on
     * every read, a cost that grew with the table: 10 ms and 322 buffers per read at 22 000 events in the
     * completions benchmark, most of the server's time at 1000 events/s. A two-sided range is estimated as narrow,
     * so the cursor index serves it, as it serves the read itself.
     */
    private static final String READ = """
            WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon,
                              pg_snapshot_xmax(pg_current_snapshot()) AS xmax, {s}.now_ms() AS now_ms)
            SELECT h.horizon::text AS ff_horizon, h.now_ms AS ff_now_ms, r.ff_tx::text AS ff_tx_id,
                   (SELECT count(*) FROM (SELECT 1 FROM {s}.%2$s b
                                          WHERE b.tx_id >= h.horizon AND b.tx_id < h.xmax LIMIT 1000) held)
                       AS ff_held_back, r.*
            FROM h LEFT JOIN LATERAL (
              SELECT o.tx_id AS ff_tx, o.event_id AS ff_event_id, o.occurred_at_ms AS ff_occurred_at_ms, %1$s
              FROM {s}.%2$s o
              WHERE (o.tx_id, o.event_id) > ($1::text::xid8, $2::bigint) AND o.tx_id < h.horizon
                AND %3$s
              ORDER BY o.tx_id, o.event_id
              LIMIT $3
            ) r ON true
            ORDER BY r.ff_tx, r.ff_event_id""";

    private final Database db;
    private final @Nullable NotificationHub hub;
    private final OutboxFamily<T> family;
    private final String readSql;
    private final String horizonSql;
    private final String watermarkSql;
    private final io.flowfabric.postgres.metrics.EngineMetrics metrics;
    private final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong heldBack = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong heldBackSinceNanos = new java.util.concurrent.atomic.AtomicLong();
    private static final long HELD_BACK_WARNING_NANOS = Duration.ofSeconds(30).toNanos();
    /** Reads in flight by {@link #readKey}, for subscribers to join (see {@link #rows}); guarded by itself. */
    private final java.util.Map<SubscribeRequest, List<SharedRead<T>>> reads = new java.util.HashMap<>();
    /** The positions of this family's open subscriptions, for the lag and buffered gauges. */
    private final java.util.Set<Position> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    OutboxSubscription(Database db, SqlTemplate sql, @Nullable NotificationHub hub, OutboxFamily<T> family,
                       io.flowfabric.postgres.metrics.EngineMetrics metrics) {
        this.db = db;
        this.metrics = metrics;
        metrics.gauge("flowfabric.subscription.active", "subscriptions currently open", active::get,
                "family", family.name());
        metrics.gauge("flowfabric.subscription.held_back", "committed events not yet deliverable because an older "
                + "transaction is still running (as of the last read; counted up to 1000)", heldBack::get,
                "family", family.name());
        metrics.gauge("flowfabric.subscription.lag", "largest, over open subscriptions, age in ms on the database "
                + "clock of the newest event their last read returned (0 when it returned none)",
                () -> open.stream().mapToLong(p -> p.lagMs).max().orElse(0), "family", family.name());
        metrics.gauge("flowfabric.subscription.buffered", "events read from the database but not yet emitted to "
                + "subscribers (awaiting demand), summed over open subscriptions",
                () -> open.stream().mapToLong(p -> p.buffered.get()).sum(), "family", family.name());
        this.hub = hub;
        this.family = family;
        // The table and column names are the family's own constants, never caller input.
        this.readSql = sql.render(String.format(READ, family.columns(), family.table(), family.filter()));
        this.horizonSql = sql.render(HORIZON);
        this.watermarkSql = sql.render(WATERMARK);
    }

    /** The subscription's cold {@code Flux}; see {@link io.flowfabric.core.spi.EventOperations}. */
    Flux<T> subscribe(SubscribeRequest request) {
        return Mono.fromCallable(() -> validate(request)).flatMapMany(valid -> Flux.usingWhen(
                        Waiter.arm(hub, List.of(family.channel())),
                        waiter -> start(valid).flatMapMany(position -> loop(valid, waiter, position)),
                        waiter -> Mono.fromRunnable(waiter::dispose))
                .doOnSubscribe(s -> active.incrementAndGet())
                .doFinally(signal -> active.decrementAndGet()));
    }

    private static SubscribeRequest validate(SubscribeRequest request) {
        if (request == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "subscribe request is required");
        }
        if (request.batchSize() < 1 || request.batchSize() > MAX_BATCH) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "batch size must be 1.." + MAX_BATCH + ", got " + request.batchSize());
        }
        if (request.pollInterval().isNegative() || request.pollInterval().isZero()) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "poll interval must be positive");
        }
        if (request.namespace() != null) {
            io.flowfabric.core.validation.InputRules.namespace(request.namespace());
        }
        return request;
    }

    /** Where a subscriber is: the cursor after which it reads next, and whether its next event opens a gap. */
    private static final class Position {
        long tx;
        long event;
        boolean gap;
        boolean lastFull = true;
        boolean started;
        /** Age of the newest event of the last read (0 when it returned none), on the database clock. */
        volatile long lagMs;
        /** Events of the last read not yet emitted downstream. */
        final java.util.concurrent.atomic.AtomicLong buffered = new java.util.concurrent.atomic.AtomicLong();

        Position(long tx, long event, boolean gap) {
            this.tx = tx;
            this.event = event;
            this.gap = gap;
        }

        boolean before(long otherTx, long otherEvent) {
            return Long.compareUnsigned(tx, otherTx) < 0
                    || (tx == otherTx && Long.compareUnsigned(event, otherEvent) < 0);
        }
    }

    private Mono<Position> start(SubscribeRequest request) {
        EventCursor cursor = request.cursor();
        if (cursor == null) {
            // "From now": (H, 0) at subscription time; every later commit sorts after it.
            return db.inTransactionOne("subscribe_" + family.name(),
                    tx -> tx.queryOne(horizonSql, r -> Long.parseLong(r.get("horizon", String.class))))
                    .map(h -> new Position(h, 0, false));
        }
        return db.inTransactionOne("subscribe_" + family.name(), tx -> tx.queryOne(watermarkSql,
                        r -> new long[] {Long.parseLong(r.get("tx_id", String.class)), r.get("event_id", Long.class)},
                        family.table()))
                .defaultIfEmpty(new long[] {0, 0})
                .flatMap(wm -> {
                    Position requested = new Position(cursor.txId(), cursor.eventId(), false);
                    if (!requested.before(wm[0], wm[1])) {
                        return Mono.just(requested);
                    }
                    if (!request.acceptGap()) {
                        return Mono.error(new StateException(StateException.Kind.CURSOR_EXPIRED,
                                "events after " + cursor + " were pruned up to the watermark; subscribe from now or "
                                        + "accept the gap"));
                    }
                    return Mono.just(new Position(wm[0], wm[1], true));
                });
    }

    private Flux<T> loop(SubscribeRequest request, Waiter waiter, Position position) {
        Duration poll = request.pollInterval();
        return Flux.defer(() -> {
                    // notBefore: the earliest issue time of a read this one may share (see SharedRead). The first
                    // read and a read after a silent poll interval issue their own; otherwise any read of the same
                    // rows issued after the latest wake sees every commit this subscriber was woken for.
                    Mono<Long> pause;
                    if (!position.started) {
                        position.started = true;
                        pause = Mono.fromCallable(System::nanoTime);
                    } else if (position.lastFull) {
                        pause = Mono.fromCallable(waiter::latestWakeNanos);
                    } else {
                        pause = waiter.await(poll).map(woken -> woken ? waiter.latestWakeNanos() : System.nanoTime());
                    }
                    return pause.flatMap(notBefore -> readBatch(request, position, notBefore))
                            .flatMapIterable(batch -> batch);
                })
                // flatMapIterable emits a batch only on demand: what is read but not yet emitted is buffered.
                .doOnNext(event -> position.buffered.decrementAndGet())
                .repeat()
                .onErrorResume(e -> e instanceof UnavailableException u
                        && u.kind() == UnavailableException.Kind.SHUTTING_DOWN, e -> Flux.empty())
                .doOnSubscribe(s -> open.add(position))
                .doFinally(signal -> open.remove(position));
    }

    private Mono<List<T>> readBatch(SubscribeRequest request, Position position, long notBefore) {
        return Mono.defer(() -> rows(request, position, notBefore))
                .map(batch -> advance(position, batch))
                .doOnNext(events -> {
                    if (!events.isEmpty()) {
                        metrics.subscriptionEvents(family.name(), events.size());
                    }
                })
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(5))
                        .filter(e -> {
                            FlowFabricException f = SqlErrors.map(e);
                            if (f.retryable()) {
                                LOG.debug("{} subscription read failed, retrying: {}", family.name(), f.toString());
                            }
                            return f.retryable();
                        }));
    }

    /**
     * The rows after {@code position}. Joins a read in flight with the same batch size and filters that started at or
     * before {@code position} and was issued at or after {@code notBefore}, or issues one from {@code position}.
     * Subscribers woken by one notification (every caught-up subscriber) thus cost one statement, not one each; a
     * subscriber behind every read in flight issues its own. A read that must flag a gap is never shared: the flag
     * belongs to its subscriber.
     */
    private Mono<Batch<T>> rows(SubscribeRequest request, Position position, long notBefore) {
        if (position.gap) {
            return query(position.tx, position.event, request.batchSize(), family.binds().apply(request), true);
        }
        SubscribeRequest key = readKey(request);
        SharedRead<T> read = null;
        synchronized (reads) {
            List<SharedRead<T>> inFlight = reads.computeIfAbsent(key, k -> new ArrayList<>(2));
            for (SharedRead<T> candidate : inFlight) {
                if (candidate.issuedSince(notBefore) && !position.before(candidate.fromTx, candidate.fromEvent)) {
                    read = candidate;
                    break;
                }
            }
            if (read == null) {
                read = new SharedRead<>(this, key, position.tx, position.event);
                inFlight.add(read);
            }
        }
        return read.rows;
    }

    /**
     * What makes two reads from the same start return the same rows: the request without its start, poll interval and
     * gap choice. (The bound filter values cannot serve: they include arrays, which compare by identity.)
     */
    private static SubscribeRequest readKey(SubscribeRequest request) {
        return new SubscribeRequest(null, request.namespace(), request.instanceTag(), request.executionId(),
                request.flowId(), request.outcomes(), request.leaseTypes(), request.operatorTypes(),
                request.batchSize(), SubscribeRequest.DEFAULT_POLL, false);
    }

    private void ended(SubscribeRequest key, SharedRead<T> read) {
        synchronized (reads) {
            List<SharedRead<T>> inFlight = reads.get(key);
            if (inFlight != null && inFlight.remove(read) && inFlight.isEmpty()) {
                reads.remove(key);
            }
        }
    }

    /**
     * One statement: the rows after (tx, event) below its snapshot's horizon, mapped. The driver's row is valid only
     * inside the mapping callback: map there. With {@code gap}, the first event carries the gap flag.
     */
    private Mono<Batch<T>> query(long tx, long event, int batchSize, List<Object> filters, boolean gap) {
        return Mono.defer(() -> {
            List<Object> params = new ArrayList<>(3 + filters.size());
            params.add(Long.toUnsignedString(tx));
            params.add(event);
            params.add(batchSize);
            params.addAll(filters);
            Object[] binds = params.toArray();
            boolean[] gapPending = {gap};
            long started = System.nanoTime();
            // One statement, one snapshot: no BEGIN/COMMIT round trips on the read that every wake-up runs.
            return db.autocommit("subscription_read_" + family.name(), t -> t.query(readSql, row -> {
                        long horizon = Long.parseLong(row.get("ff_horizon", String.class));
                        noteHeldBack(row.get("ff_held_back", Long.class));
                        String txText = row.get("ff_tx_id", String.class);
                        long nowMs = row.get("ff_now_ms", Long.class);
                        if (txText == null) {
                            return new Row<T>(horizon, nowMs, 0, 0, 0, null);
                        }
                        long txId = Long.parseLong(txText);
                        long eventId = row.get("ff_event_id", Long.class);
                        boolean flagged = gapPending[0];
                        gapPending[0] = false;
                        return new Row<>(horizon, nowMs, row.get("ff_occurred_at_ms", Long.class), txId, eventId,
                                family.mapper().map(row, new EventCursor(txId, eventId), flagged));
                    }, binds))
                    .collectList()
                    .map(rows -> new Batch<>(rows, rows.size() >= batchSize && rows.get(0).event != null))
                    .doOnNext(rows -> metrics.subscriptionRead(family.name(), "ok", System.nanoTime() - started))
                    .doOnError(e -> {
                        String kind = SqlErrors.map(e).getClass().getSimpleName().replace("Exception", "")
                                .toLowerCase(java.util.Locale.ROOT);
                        metrics.subscriptionRead(family.name(), kind, System.nanoTime() - started);
                        metrics.subscriptionError(family.name(), kind);
                    });
        });
    }

    /** What one statement returned; {@code full} when it hit the batch limit (more rows may follow its last). */
    private record Batch<T>(List<Row<T>> rows, boolean full) {
    }

    /**
     * A read in flight from (fromTx, fromEvent), shared by the subscribers that join it before it ends. It runs to
     * its end even when every joiner has cancelled (one short statement; its connection returns to the pool then),
     * and leaves the table of reads as it ends, before its joiners see the result, so a retry after a failure issues
     * a fresh statement. Rows and events are immutable; each joiner advances only its own position over them.
     */
    private static final class SharedRead<T> {
        /** When it was created, just before its statement is sent: its snapshot is at least this late. */
        final long issuedNanos = System.nanoTime();
        final long fromTx;
        final long fromEvent;
        final Mono<Batch<T>> rows;

        SharedRead(OutboxSubscription<T> owner, SubscribeRequest key, long fromTx, long fromEvent) {
            this.fromTx = fromTx;
            this.fromEvent = fromEvent;
            this.rows = owner.query(fromTx, fromEvent, key.batchSize(), owner.family.binds().apply(key), false)
                    .doOnTerminate(() -> owner.ended(key, this))
                    .cache();
        }

        /** Issued at or after {@code notBefore} ({@link Long#MIN_VALUE}: no constraint). */
        boolean issuedSince(long notBefore) {
            return notBefore == Long.MIN_VALUE || issuedNanos - notBefore >= 0;
        }
    }

    private void noteHeldBack(Long count) {
        long n = count == null ? 0 : count;
        heldBack.set(n);
        if (n == 0) {
            heldBackSinceNanos.set(0);
            return;
        }
        long now = System.nanoTime();
        heldBackSinceNanos.compareAndSet(0, now);
        long since = heldBackSinceNanos.get();
        if (since != 0 && now - since > HELD_BACK_WARNING_NANOS && heldBackSinceNanos.compareAndSet(since, now)) {
            LOG.warn("{} subscription: {} committed event(s) held back for over 30 s by an older running "
                    + "transaction (a long transaction delays delivery; nothing is lost)", family.name(), n);
        }
    }

    /**
     * Moves {@code position} over a read's rows, taking those after it (a shared read may have started earlier). A
     * read that was not full saw every row below its horizon, so the position then moves up to the horizon, past
     * rows the filters excluded; after a full read the next read follows at once.
     */
    private List<T> advance(Position position, Batch<T> batch) {
        List<T> events = new ArrayList<>(batch.rows().size());
        long horizon = 0;
        long lagMs = 0;
        for (Row<T> row : batch.rows()) {
            horizon = row.horizon;
            if (row.event != null && position.before(row.txId, row.eventId)) {
                lagMs = Math.max(0, row.nowMs - row.occurredAtMs);
                events.add(row.event);
                position.tx = row.txId;
                position.event = row.eventId;
                position.gap = false;
            }
        }
        position.lagMs = lagMs;
        position.buffered.addAndGet(events.size());
        position.lastFull = batch.full();
        if (!batch.full() && position.before(horizon, 0)) {
            // Every row below the horizon has been seen (matching or not): skip past the ones the filters excluded.
            position.tx = horizon;
            position.event = 0;
        }
        return events;
    }

    /** One row of a read: the horizon, the database time, and the event (with its time) when the row carried one. */
    private record Row<T>(long horizon, long nowMs, long occurredAtMs, long txId, long eventId, @Nullable T event) {
    }
}
