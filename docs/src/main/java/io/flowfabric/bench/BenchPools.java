package io.flowfabric.bench;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import java.util.Map;

/**
 * Connection pools for baselines and for housekeeping, built over the same driver ({@code r2dbc-postgresql}) and
 * pool ({@code r2dbc-pool}) as the engine's own, with the engine's driver settings (bounded prepared-statement cache
 * of 256, statement and lock timeouts as startup options, no validation query), so a baseline differs from the
 * engine only in the SQL it sends.
 */
final class BenchPools {

    private BenchPools() {
    }

    /**
     * Creates a pool (not yet warmed up).
     *
     * @param r2dbcUrl        {@code r2dbc:postgresql://user:password@host:port/database}
     * @param initialSize     connections opened by {@code warmup()}
     * @param maxSize         the pool's upper bound
     * @param applicationName shown in {@code pg_stat_activity}
     * @param validationQuery whether to run {@code SELECT 1} on every acquire (a round trip each time; the engine's
     *                        pool does not)
     */
    static ConnectionPool create(String r2dbcUrl, int initialSize, int maxSize, String applicationName,
                                 boolean validationQuery) {
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(r2dbcUrl);
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
        PostgresqlConnectionConfiguration config = PostgresqlConnectionConfiguration.builder()
                .host((String) options.getRequiredValue(ConnectionFactoryOptions.HOST))
                .port(port == null ? 5432 : Integer.parseInt(port.toString()))
                .database((String) options.getRequiredValue(ConnectionFactoryOptions.DATABASE))
                .username((String) options.getRequiredValue(ConnectionFactoryOptions.USER))
                .password(password == null ? null : password.toString())
                .applicationName(applicationName)
                .preparedStatementCacheQueries(256)
                .options(Map.of("statement_timeout", "30000", "lock_timeout", "5000"))
                .build();
        ConnectionPoolConfiguration.Builder pool = ConnectionPoolConfiguration
                .builder(new PostgresqlConnectionFactory(config))
                .name(applicationName)
                .initialSize(initialSize)
                .maxSize(maxSize)
                .maxAcquireTime(Duration.ofSeconds(10));
        if (validationQuery) {
            pool.validationQuery("SELECT 1");
        }
        return new ConnectionPool(pool.build());
    }
}
