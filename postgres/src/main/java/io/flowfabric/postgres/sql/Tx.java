package io.flowfabric.postgres.sql;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One open transaction of a unit of work, handed to the work function by {@link Database#inTransaction}. Every
 * statement binds its values; every result is fully consumed. Channels passed to {@link #notifyOnCommit(String)} are
 * collected in a set and sent as one {@code pg_notify} each, as the unit's last statement before commit.
 *
 * <p>Not thread-safe: statements of one transaction run one after the other.
 */
public final class Tx {

    private final Connection connection;
    private final Set<String> channels = new LinkedHashSet<>();
    private final Set<String> sentInStatement = new LinkedHashSet<>();

    Tx(Connection connection) {
        this.connection = connection;
    }

    /**
     * For a statement that sends its own {@code pg_notify} (so a unit can be one autocommit statement): returns the
     * channels as an array to bind, and remembers them for the engine's local commit feed. Notifications are still
     * delivered only if the statement's transaction commits.
     */
    public String[] notifiedInStatement(java.util.Collection<String> names) {
        sentInStatement.addAll(names);
        return names.toArray(String[]::new);
    }

    /**
     * Runs a query and maps every row; values are bound in order to {@code $1, $2, ...}. The rows are emitted only
     * after the whole result was read: a connection carries one statement at a time, so a caller that starts the
     * next statement while handling a row must not find this one still streaming (it would wait forever). Every
     * query of the engine is bounded by a LIMIT or a key.
     */
    public <T> Flux<T> query(String sql, Function<Readable, T> mapper, Object... params) {
        return Flux.defer(() -> Flux.from(bind(connection.createStatement(sql), params).execute())
                        .concatMap(result -> result.map(mapper)))
                .collectList()
                .flatMapIterable(rows -> rows);
    }

    /** Runs a query expected to return at most one row. */
    public <T> Mono<T> queryOne(String sql, Function<Readable, T> mapper, Object... params) {
        return query(sql, mapper, params).singleOrEmpty();
    }

    /** Runs a data-modifying statement without RETURNING and emits the affected row count. */
    public Mono<Long> update(String sql, Object... params) {
        return Flux.defer(() -> Flux.from(bind(connection.createStatement(sql), params).execute())
                        .concatMap(Result::getRowsUpdated))
                .reduce(0L, Long::sum);
    }

    /** Adds a channel to notify when (and only if) this transaction commits. */
    public void notifyOnCommit(String channel) {
        channels.add(channel);
    }

    /** The channels this unit notified or will notify on commit (a copy). */
    Set<String> channelsToNotify() {
        Set<String> all = new LinkedHashSet<>(channels);
        all.addAll(sentInStatement);
        return Set.copyOf(all);
    }

    Mono<Void> flushNotifications() {
        if (channels.isEmpty()) {
            return Mono.empty();
        }
        String[] names = channels.toArray(String[]::new);
        return query("SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c", row -> 1, (Object) names).then();
    }

    Mono<Void> setClockOffset(long offsetMs) {
        // Session-level, so it also holds for autocommit units; every unit of an engine with a test clock sets it
        // first, so a pooled connection never carries a stale value into another unit.
        return query("SELECT set_config('flowfabric.clock_offset_ms', $1, false)", row -> 1,
                Long.toString(offsetMs)).then();
    }

    private static Statement bind(Statement statement, Object... params) {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Bind b) {
                statement.bindNull(i, b.type());
            } else if (p == null) {
                throw new IllegalArgumentException("parameter $" + (i + 1) + " is null; use Bind.nullable");
            } else if (p instanceof byte[] bytes) {
                statement.bind(i, java.nio.ByteBuffer.wrap(bytes));
            } else {
                statement.bind(i, p);
            }
        }
        return statement;
    }
}
