package io.flowfabric.postgres.sql;

import io.flowfabric.core.error.ContentionException;
import io.flowfabric.core.error.FlowFabricException;
import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.postgres.metrics.EngineMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The engine's one unit-of-work helper (spec 01 §8).
 *
 * <p>{@link #inTransaction} acquires a pooled connection, begins a READ COMMITTED transaction, sets the test clock
 * offset when one is configured, runs the work, sends one {@code pg_notify} per collected channel, commits, releases
 * the connection, and only then emits the work's results: a subscriber never sees a value from a transaction that did
 * not commit. On error or cancellation the transaction is rolled back and the connection released.
 *
 * <p>A unit that fails with a serialization failure (40001), deadlock (40P01) or lock timeout (55P03) is re-run from
 * the beginning, at most {@value #MAX_ATTEMPTS} attempts, with backoff 5 ms × 3ⁿ capped at 250 ms and full jitter;
 * exhaustion is {@code ContentionException(RETRY_EXHAUSTED)} carrying the last cause. Work functions must therefore be
 * safe to re-run, which they are by construction: they only act through the transaction.
 *
 * <p>All other failures are mapped by {@link SqlErrors}. Before {@link #open()} and once {@link #close(Duration)} was
 * called, new units fail with {@code UnavailableException(SHUTTING_DOWN)}.
 */
public final class Database {

    static final int MAX_ATTEMPTS = 5;
    private static final long BASE_BACKOFF_MS = 5;
    private static final long MAX_BACKOFF_MS = 250;

    private final ConnectionFactory pool;
    private final @Nullable LongSupplier clockOffsetMs;
    private final EngineMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Sinks.Many<Integer> drained = Sinks.many().replay().latest();
    private final Sinks.Many<Set<String>> commits = Sinks.many().multicast().directBestEffort();
    private volatile boolean open;
    private volatile boolean closing;

    public Database(ConnectionFactory pool, @Nullable LongSupplier clockOffsetMs, EngineMetrics metrics) {
        this.pool = pool;
        this.clockOffsetMs = clockOffsetMs;
        this.metrics = metrics;
    }

    /** Runs {@code work} as one transaction and emits its results after the commit. See the class contract. */
    public <T> Flux<T> inTransaction(String unit, Function<Tx, ? extends Publisher<T>> work) {
        return run(unit, work, true);
    }

    private <T> Flux<T> run(String unit, Function<Tx, ? extends Publisher<T>> work, boolean transactional) {
        return Flux.defer(() -> {
            if (closing || !open) {
                return Flux.error(new UnavailableException(UnavailableException.Kind.SHUTTING_DOWN, closing
                        ? "the engine is stopping; no new operations are accepted"
                        : "the engine has not been started"));
            }
            long started = System.nanoTime();
            inFlight.incrementAndGet();
            return attemptWithRetries(unit, work, transactional, 1)
                    .flatMapIterable(list -> list)
                    .doOnComplete(() -> metrics.operation(unit, "success", System.nanoTime() - started))
                    .doOnError(e -> metrics.operation(unit, outcomeTag(e), System.nanoTime() - started))
                    .doFinally(signal -> {
                        if (inFlight.decrementAndGet() == 0 && closing) {
                            drained.tryEmitNext(0);
                        }
                    });
        });
    }

    /**
     * Runs {@code work}, which must consist of exactly one statement, without an explicit transaction: the statement
     * is its own (atomic) transaction, saving the BEGIN and COMMIT round trips of hot paths. A statement that must
     * notify does so itself ({@link Tx#notifiedInStatement}). Retries, errors, metrics and shutdown behave as for
     * {@link #inTransaction}.
     */
    public <T> Mono<T> autocommitOne(String unit, Function<Tx, ? extends Mono<T>> work) {
        return run(unit, work, false).singleOrEmpty();
    }

    /** {@link #autocommitOne} for a statement that returns several rows. */
    public <T> Flux<T> autocommit(String unit, Function<Tx, ? extends Publisher<T>> work) {
        return run(unit, work, false);
    }

    /** {@link #inTransaction} for work that emits at most one value. */
    public <T> Mono<T> inTransactionOne(String unit, Function<Tx, ? extends Mono<T>> work) {
        return inTransaction(unit, work).singleOrEmpty();
    }

    private <T> Mono<List<T>> attemptWithRetries(String unit, Function<Tx, ? extends Publisher<T>> work,
                                                 boolean transactional, int attempt) {
        return (transactional ? runOnce(work) : runAutocommit(work)).onErrorResume(raw -> {
            FlowFabricException error = SqlErrors.map(raw);
            if (!SqlErrors.isRetriedContention(error)) {
                return Mono.error(error);
            }
            metrics.txRetry(unit, String.valueOf(SqlErrors.sqlState(raw)));
            if (attempt >= MAX_ATTEMPTS) {
                return Mono.error(new ContentionException(ContentionException.Kind.RETRY_EXHAUSTED,
                        unit + " failed " + attempt + " times with " + ((ContentionException) error).kind(), error));
            }
            long cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * (long) Math.pow(3, attempt - 1));
            long delay = ThreadLocalRandom.current().nextLong(cap + 1);
            return Mono.delay(Duration.ofMillis(delay)).then(attemptWithRetries(unit, work, transactional, attempt + 1));
        });
    }

    private <T> Mono<List<T>> runOnce(Function<Tx, ? extends Publisher<T>> work) {
        return Mono.usingWhen(
                Mono.from(pool.create()),
                connection -> {
                    Tx tx = new Tx(connection);
                    Mono<Void> begin = Mono.from(connection.beginTransaction());
                    if (clockOffsetMs != null) {
                        begin = begin.then(tx.setClockOffset(clockOffsetMs.getAsLong()));
                    }
                    return begin
                            .then(Flux.from(work.apply(tx)).collectList())
                            .flatMap(results -> {
                                Set<String> notified = tx.channelsToNotify();
                                return tx.flushNotifications()
                                        .then(Mono.from(connection.commitTransaction()))
                                        .doOnSuccess(v -> publishCommit(notified))
                                        .thenReturn(results);
                            });
                },
                Database::release,
                (connection, error) -> rollbackAndRelease(connection),
                Database::rollbackAndRelease);
    }

    private <T> Mono<List<T>> runAutocommit(Function<Tx, ? extends Publisher<T>> work) {
        return Mono.usingWhen(
                Mono.from(pool.create()),
                connection -> {
                    Tx tx = new Tx(connection);
                    Mono<Void> prepare = clockOffsetMs == null ? Mono.empty()
                            : tx.setClockOffset(clockOffsetMs.getAsLong());
                    return prepare
                            .then(Flux.from(work.apply(tx)).collectList())
                            .flatMap(results -> tx.flushNotifications()
                                    .doOnSuccess(v -> publishCommit(tx.channelsToNotify()))
                                    .thenReturn(results));
                },
                Database::release,
                (connection, error) -> release(connection),
                Database::release);
    }

    private void publishCommit(Set<String> notified) {
        if (notified.isEmpty()) {
            return;
        }
        synchronized (commits) {
            commits.tryEmitNext(notified);
        }
    }

    /**
     * The channel sets of transactions committed through this engine, right after each commit: an in-process wake-up
     * that does not wait for the NOTIFY round trip. Hot and best effort (a subscriber without demand misses
     * commits), which is fine for wake-ups: every consumer also polls.
     */
    public Flux<Set<String>> localCommits() {
        return commits.asFlux();
    }

    private static Publisher<Void> release(Connection connection) {
        return connection.close();
    }

    private static Publisher<Void> rollbackAndRelease(Connection connection) {
        // A failed rollback (e.g. a dead connection) must not hide the original error; the pool discards such
        // connections on its own validation.
        return Mono.from(connection.rollbackTransaction())
                .onErrorResume(e -> Mono.empty())
                .then(Mono.from(connection.close()).onErrorResume(e -> Mono.empty()));
    }

    private static String outcomeTag(Throwable e) {
        FlowFabricException f = SqlErrors.map(e);
        return f.getClass().getSimpleName().replace("Exception", "").toLowerCase(java.util.Locale.ROOT);
    }

    /** Lets units run; called by the engine once its schema is verified. */
    public void open() {
        open = true;
    }

    /** Operations currently running. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops accepting units and completes when every in-flight unit has finished or {@code grace} has passed,
     * whichever comes first.
     */
    public Mono<Void> close(Duration grace) {
        return Mono.defer(() -> {
            closing = true;
            if (inFlight.get() == 0) {
                return Mono.empty();
            }
            return drained.asFlux().next().then().timeout(grace, Mono.empty());
        });
    }
}
