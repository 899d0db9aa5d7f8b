package io.flowfabric.bench;

import io.flowfabric.postgres.PostgresEngine;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.ConnectionFactory;
import java.io.PrintStream;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * What the engine scenarios (everything but {@code lifecycle}) share: the database, an unmeasured housekeeping pool,
 * the report header (server settings, durability, machine load at the start) and footer (load at the end), and the
 * engines of the run, each in its own schema. {@link #close()} stops every engine started here, drops their schemas
 * and the database (when the run created it).
 *
 * <p>Every method blocks and belongs on the main thread.
 */
final class BenchRun implements AutoCloseable {

    /** The {@code application_name} of the housekeeping pool, so it can be told apart in pg_stat_activity. */
    static final String ADMIN_APPLICATION_NAME = "flowfabric-bench-admin";

    private static final String SERVER_SETTINGS = "SELECT current_setting('server_version') AS version, "
            + "current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, "
            + "current_setting('full_page_writes') AS full_page_writes, "
            + "current_setting('max_connections') AS max_connections, "
            + "current_setting('shared_buffers') AS shared_buffers";

    private final BenchDatabase database;
    private final ConnectionPool admin;
    private final PrintStream out;
    private final List<PostgresEngine> engines = new ArrayList<>();
    private final List<String> schemas = new ArrayList<>();

    private BenchRun(BenchDatabase database, ConnectionPool admin, PrintStream out) {
        this.database = database;
        this.admin = admin;
        this.out = out;
    }

    /**
     * Opens the database (a fresh one on the testing module's server, or the one at {@code url}) and a small
     * housekeeping pool.
     */
    static BenchRun open(@Nullable String url, PrintStream out) {
        BenchDatabase database = BenchDatabase.open(url);
        try {
            ConnectionPool admin = BenchPools.create(database.r2dbcUrl(), 0, 2, ADMIN_APPLICATION_NAME, false);
            return new BenchRun(database, admin, out);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    /** The database's R2DBC URL. */
    String r2dbcUrl() {
        return database.r2dbcUrl();
    }

    /** The housekeeping pool (checks and samples; not part of any measurement). */
    ConnectionFactory admin() {
        return admin;
    }

    /**
     * Prints the report header: title and date, database, server version and durability settings (with a warning
     * when durability is off, as on the embedded server), machine load, Java, and the scenario's parameter lines.
     */
    void header(String title, List<String> parameters) {
        Map<String, String> s = BenchSql.queryOne(admin, SERVER_SETTINGS, row -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (String key : List.of("version", "fsync", "synchronous_commit", "full_page_writes",
                    "max_connections", "shared_buffers")) {
                m.put(key, String.valueOf(row.get(key, String.class)));
            }
            return m;
        }).blockOptional().orElseThrow();
        out.println("FlowFabric benchmark: " + title + ", "
                + OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")) + " UTC");
        out.println("  database    " + database.origin());
        out.println("  server      PostgreSQL " + s.get("version") + ": fsync=" + s.get("fsync")
                + " synchronous_commit=" + s.get("synchronous_commit") + " full_page_writes="
                + s.get("full_page_writes") + " max_connections=" + s.get("max_connections") + " shared_buffers="
                + s.get("shared_buffers"));
        if ("off".equals(s.get("fsync")) || "off".equals(s.get("synchronous_commit"))) {
            out.println("  note        durability is OFF on this server (fsync/synchronous_commit off, as on the "
                    + "embedded test server): a commit costs no disk flush, so latencies and rates are optimistic");
        }
        out.println("  machine     " + MachineLoad.describe() + " at start; Java "
                + System.getProperty("java.version") + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024)
                + " MB");
        for (int i = 0; i < parameters.size(); i++) {
            out.println((i == 0 ? "  parameters  " : "              ") + parameters.get(i));
        }
        out.println();
    }

    /** Prints the load at the end of the run. */
    void footer() {
        out.println("machine load at end: " + MachineLoad.describe());
    }

    /** The {@code application_name} of the engine in {@code schema}, as it appears in pg_stat_activity. */
    static String applicationName(String schema) {
        return "flowfabric-bench-" + schema;
    }

    /**
     * Builds and starts an engine in a fresh {@code schema} (dropped first if a previous run left it): the URL's
     * pool, {@link #applicationName(String)}, no background reconcilers unless {@code customize} turns them on.
     * The engine is stopped, and the schema dropped, by {@link #close()}.
     */
    PostgresEngine engine(String schema, UnaryOperator<PostgresEngine.Builder> customize) {
        if (!schemas.contains(schema)) {
            dropSchema(schema);
            schemas.add(schema);
        }
        PostgresEngine engine = customize.apply(PostgresEngine.builder()
                        .url(database.r2dbcUrl())
                        .schema(schema)
                        .applicationName(applicationName(schema))
                        .backgroundReconcilers(false))
                .build();
        engines.add(engine);
        engine.start().block(Duration.ofMinutes(2));
        return engine;
    }

    /** Stops one engine now (it is skipped by {@link #close()}). */
    void stop(PostgresEngine engine) {
        engines.remove(engine);
        engine.stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
    }

    /** The engine's own pool's metrics (present when the engine was built from a URL, as here). */
    static Optional<PoolMetrics> poolMetrics(PostgresEngine engine) {
        return engine.connectionFactory() instanceof ConnectionPool pool ? pool.getMetrics() : Optional.empty();
    }

    /** Runs a query returning one {@code bigint} (e.g. a count) on the housekeeping pool. */
    long queryLong(String sql, Object... params) {
        return BenchSql.queryOne(admin, sql, row -> row.get(0, Long.class), params).blockOptional()
                .orElseThrow(() -> new IllegalStateException("no row from " + sql));
    }

    /** Runs a statement on the housekeeping pool and returns the affected row count. */
    long update(String sql, Object... params) {
        Long n = BenchSql.update(admin, sql, params).block();
        return n == null ? 0 : n;
    }

    /**
     * Sessions of one {@code application_name} in this database by {@code state} ({@code active}, {@code idle},
     * {@code idle in transaction}, ...).
     */
    Map<String, Long> sessionsByState(String applicationName) {
        Map<String, Long> byState = new LinkedHashMap<>();
        BenchSql.query(admin, "SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity "
                                + "WHERE datname = current_database() AND application_name = $1 GROUP BY 1 ORDER BY 1",
                        row -> Map.entry(row.get("state", String.class), row.get("n", Long.class)), applicationName)
                .toIterable()
                .forEach(e -> byState.put(e.getKey(), e.getValue()));
        return byState;
    }

    /** Sleeps on the main thread; interruption ends the run. */
    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        try {
            for (int i = engines.size() - 1; i >= 0; i--) {
                try {
                    engines.get(i).stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
                } catch (RuntimeException e) {
                    out.println("warning: could not stop an engine (" + e + ")");
                }
            }
            engines.clear();
            for (String schema : schemas) {
                dropSchema(schema);
            }
        } finally {
            try {
                admin.disposeLater().block(Duration.ofSeconds(30));
            } finally {
                database.close();
            }
        }
    }

    /** Cleanup must not hide the run's own outcome, so a failure here is only reported. */
    private void dropSchema(String schema) {
        try {
            // Schema names are the scenarios' own constants of [a-z0-9_]; they cannot be bound.
            BenchSql.update(admin, "DROP SCHEMA IF EXISTS " + schema + " CASCADE").block(Duration.ofMinutes(1));
        } catch (RuntimeException e) {
            out.println("warning: could not drop schema " + schema + " (" + e.getMessage() + "); drop it by hand");
        }
    }
}
