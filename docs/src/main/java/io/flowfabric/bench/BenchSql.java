package io.flowfabric.bench;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Single auto-committed statements over an R2DBC connection factory: each call acquires a connection, runs one
 * statement with its values bound to {@code $1, $2, ...}, consumes the whole result and releases the connection
 * (also on error and cancellation). Cold; nothing blocks.
 */
final class BenchSql {

    private BenchSql() {
    }

    /** Runs a statement without rows and emits the affected row count. */
    static Mono<Long> update(ConnectionFactory factory, String sql, Object... params) {
        return Mono.usingWhen(Mono.from(factory.create()),
                connection -> Flux.from(bind(connection, sql, params).execute())
                        .concatMap(Result::getRowsUpdated)
                        .reduce(0L, Long::sum),
                Connection::close);
    }

    /** Runs a query and maps every row. */
    static <T> Flux<T> query(ConnectionFactory factory, String sql, Function<Readable, T> mapper, Object... params) {
        return Flux.usingWhen(Mono.from(factory.create()),
                connection -> Flux.from(bind(connection, sql, params).execute())
                        .concatMap(result -> result.map(mapper)),
                Connection::close);
    }

    /** Runs a query expected to return at most one row. */
    static <T> Mono<T> queryOne(ConnectionFactory factory, String sql, Function<Readable, T> mapper,
                                Object... params) {
        return query(factory, sql, mapper, params).singleOrEmpty();
    }

    private static Statement bind(Connection connection, String sql, Object... params) {
        Statement statement = connection.createStatement(sql);
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            statement.bind(i, value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : value);
        }
        return statement;
    }
}
