package io.flowfabric.bench;

import io.flowfabric.testing.PostgresServer;
import io.flowfabric.testing.TestDatabase;
import org.jspecify.annotations.Nullable;

/**
 * The database a benchmark runs in: a fresh database on the testing module's shared server (embedded PostgreSQL
 * unless {@code FLOWFABRIC_TEST_PG_URL} or the other {@code flowfabric.test.pg.*} settings say otherwise), dropped on
 * {@link #close()}; or an existing database given by an R2DBC URL, which is left in place (the scenario removes the
 * schemas it created).
 *
 * <p>Opening may block on JDBC: call it on the main thread only.
 */
final class BenchDatabase implements AutoCloseable {

    private final String r2dbcUrl;
    private final String origin;
    private final @Nullable TestDatabase owned;

    private BenchDatabase(String r2dbcUrl, String origin, @Nullable TestDatabase owned) {
        this.r2dbcUrl = r2dbcUrl;
        this.origin = origin;
        this.owned = owned;
    }

    /**
     * Resolves the database.
     *
     * @param externalUrl an {@code r2dbc:postgresql://user:password@host:port/database} URL, or {@code null} to use
     *                    the testing module's server
     */
    static BenchDatabase open(@Nullable String externalUrl) {
        if (externalUrl != null) {
            if (!externalUrl.startsWith("r2dbc:postgresql://")) {
                throw new BenchUsageException("--url must be an r2dbc:postgresql://user:password@host:port/database "
                        + "URL");
            }
            return new BenchDatabase(externalUrl, "external database given by --url", null);
        }
        PostgresServer server = PostgresServer.shared();
        TestDatabase database = server.createDatabase("bench");
        String origin = server.kind() + " server " + server.host() + ":" + server.port() + " (testing module), "
                + "fresh database " + database.name();
        return new BenchDatabase(database.r2dbcUrl(), origin, database);
    }

    /** The R2DBC URL engines and pools connect with. */
    String r2dbcUrl() {
        return r2dbcUrl;
    }

    /** Where the database came from, for the report. */
    String origin() {
        return origin;
    }

    /** Whether the database is the user's own (given by URL) and must be cleaned up rather than dropped. */
    boolean external() {
        return owned == null;
    }

    /** Drops the database when this run created it; an external database is left alone. Blocks. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
