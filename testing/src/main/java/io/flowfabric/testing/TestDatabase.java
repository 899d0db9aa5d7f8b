package io.flowfabric.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A database of its own on the {@linkplain PostgresServer shared server}, created empty by
 * {@link PostgresServer#createDatabase(String)} and dropped by {@link #close()}. {@link FlowFabricPostgresExtension}
 * gives each test class one, so test classes never see each other's data.
 *
 * <p>Besides its coordinates ({@link #jdbcUrl()}, {@link #r2dbcUrl()}, ...) it offers plain-SQL helpers for
 * arranging data and asserting on it. They <b>block</b> on JDBC, so they belong in test code, never on a reactive
 * or Netty thread. Each call opens its own short-lived connection with {@code application_name}
 * {@code flowfabric-testing}, so the helpers are thread-safe and unaffected by transactions or killed connections
 * elsewhere. Values are always bound as parameters ({@code ?}), never spliced into the SQL; an
 * {@link java.time.Instant} is bound as a UTC {@code timestamptz}. Failures are thrown as
 * {@link PostgresTestException} carrying the SQLSTATE. After {@link #close()} the helpers throw
 * {@link IllegalStateException}.
 *
 * @since 0.1
 */
public final class TestDatabase implements AutoCloseable {

    /** How long {@code pg_terminate_backend} waits for each backend to exit (PostgreSQL 14 and newer). */
    private static final long TERMINATE_WAIT_MILLIS = 5_000;
    private static final int FORCE_DROP_VERSION = 130_000;
    private static final int TERMINATE_WAIT_VERSION = 140_000;
    private static final String OBJECT_IN_USE = "55006";
    private static final long DROP_RETRY_MILLIS = 10_000;

    private static final String TERMINATE_BY_APPLICATION_SQL =
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ?";
    private static final String TERMINATE_BY_APPLICATION_WAIT_SQL =
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, ?)) FROM pg_stat_activity "
                    + "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ?";
    private static final String TERMINATE_OTHERS_SQL =
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE datname = ? AND pid <> pg_backend_pid()";
    private static final String TERMINATE_OTHERS_WAIT_SQL =
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, ?)) FROM pg_stat_activity "
                    + "WHERE datname = ? AND pid <> pg_backend_pid()";

    private final PostgresServer server;
    private final String name;
    private volatile boolean closed;

    TestDatabase(PostgresServer server, String name) {
        this.server = server;
        this.name = name;
    }

    /**
     * The database's name, {@code fft_<hint>_<counter>_<random>}.
     *
     * @return the name, only {@code [a-z0-9_]}, at most 63 characters
     */
    public String name() {
        return name;
    }

    /**
     * The server's host.
     *
     * @return the same as {@code server().host()}
     */
    public String host() {
        return server.host();
    }

    /**
     * The server's port.
     *
     * @return the same as {@code server().port()}
     */
    public int port() {
        return server.port();
    }

    /**
     * The user that owns this database.
     *
     * @return the same as {@code server().username()}
     */
    public String username() {
        return server.username();
    }

    /**
     * The password of {@link #username()}.
     *
     * @return the same as {@code server().password()}, empty when the server does not ask for one
     */
    public String password() {
        return server.password();
    }

    /**
     * A JDBC URL for this database that carries the credentials.
     *
     * @return {@code jdbc:postgresql://host:port/name?user=..&password=..}
     */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /**
     * An R2DBC URL for this database, for {@code ConnectionFactories.get(url)} or an engine's connection pool.
     *
     * @return {@code r2dbc:postgresql://user:password@host:port/name}, user and password percent-encoded
     */
    public String r2dbcUrl() {
        return server.r2dbcUrl(name);
    }

    /**
     * The server this database lives on.
     *
     * @return the shared server
     */
    public PostgresServer server() {
        return server;
    }

    /**
     * Opens a new blocking JDBC connection to this database, in auto-commit mode, with {@code application_name}
     * {@code flowfabric-testing}. The caller closes it.
     *
     * @return an open connection
     * @throws PostgresTestException when the connection cannot be opened
     * @throws IllegalStateException after {@link #close()}
     */
    public Connection openConnection() {
        ensureOpen();
        try {
            return Jdbc.connect(jdbcUrl());
        } catch (SQLException e) {
            throw new PostgresTestException("Cannot connect to test database " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs one statement that returns no rows (DML or DDL) in its own auto-committed transaction. Blocks.
     *
     * @param sql the statement, with {@code ?} placeholders
     * @param params the values for the placeholders, in order
     * @return the update count (0 for DDL)
     * @throws PostgresTestException when the statement fails
     */
    public int execute(String sql, @Nullable Object... params) {
        Objects.requireNonNull(sql, "sql");
        try (Connection connection = openConnection()) {
            return Jdbc.update(connection, sql, params);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /**
     * Runs a query that returns exactly one row and returns its first column as a {@code long}, for counts and ids.
     * Blocks.
     *
     * @param sql the query, with {@code ?} placeholders
     * @param params the values for the placeholders, in order
     * @return the first column of the single row
     * @throws PostgresTestException when the query fails, returns no row or more than one, or the value is SQL
     *         {@code NULL} or not a number
     */
    public long queryLong(String sql, @Nullable Object... params) {
        Object value = singleRowFirstColumn(sql, params)
                .orElseThrow(() -> new PostgresTestException("Query returned NULL, expected a number: " + sql, null));
        if (!(value instanceof Number)) {
            throw new PostgresTestException("Query returned a " + value.getClass().getName()
                    + ", expected a number: " + sql, null);
        }
        return ((Number) value).longValue();
    }

    /**
     * Runs a query that returns at most one row and returns its first column as the driver maps it
     * ({@code Long} for {@code bigint}, {@code String} for {@code text}, {@code PGobject} for {@code jsonb}, ...).
     * Blocks.
     *
     * @param sql the query, with {@code ?} placeholders
     * @param params the values for the placeholders, in order
     * @return the first column of the row; empty when there is no row or the value is SQL {@code NULL}
     * @throws PostgresTestException when the query fails or returns more than one row
     */
    public Optional<Object> queryValue(String sql, @Nullable Object... params) {
        List<Map<String, @Nullable Object>> rows = queryRows(sql, params);
        if (rows.size() > 1) {
            throw new PostgresTestException("Query returned " + rows.size() + " rows, expected at most one: " + sql,
                    null);
        }
        return rows.isEmpty() ? Optional.empty() : firstColumn(rows.get(0), sql);
    }

    /**
     * Runs a query and returns all its rows. Blocks and holds the whole result in memory.
     *
     * @param sql the query, with {@code ?} placeholders
     * @param params the values for the placeholders, in order
     * @return one {@link java.util.LinkedHashMap} per row, in result order, mapping each column label to its value
     *         in column order; SQL {@code NULL} is {@code null}
     * @throws PostgresTestException when the query fails or two columns share a label
     */
    public List<Map<String, @Nullable Object>> queryRows(String sql, @Nullable Object... params) {
        Objects.requireNonNull(sql, "sql");
        try (Connection connection = openConnection()) {
            return Jdbc.rows(connection, sql, params);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /**
     * Terminates every other backend connected to this database whose {@code application_name} equals
     * {@code applicationName}, as a crash or network failure would. Fault-injection tests use it to cut an engine's
     * connections (the engine sets its application name). On PostgreSQL 14 and newer it waits up to five seconds for
     * each backend to exit, so the connections are gone when it returns. Only backends of this database are
     * touched; a non-superuser can only terminate backends of its own role. Blocks.
     *
     * @param applicationName the exact {@code application_name} to match
     * @return how many backends were terminated
     * @throws PostgresTestException when the statement fails
     */
    public int terminateBackends(String applicationName) {
        Objects.requireNonNull(applicationName, "applicationName");
        if (server.serverVersionNum() >= TERMINATE_WAIT_VERSION) {
            return (int) queryLong(TERMINATE_BY_APPLICATION_WAIT_SQL, TERMINATE_WAIT_MILLIS, applicationName);
        }
        return (int) queryLong(TERMINATE_BY_APPLICATION_SQL, applicationName);
    }

    /**
     * Terminates every other backend connected to this database, whatever its application name, including
     * connections opened by {@link #openConnection()}. Waits for them like {@link #terminateBackends(String)}.
     * Blocks.
     *
     * @return how many backends were terminated
     * @throws PostgresTestException when the statement fails
     */
    public int terminateAllOtherBackends() {
        if (server.serverVersionNum() >= TERMINATE_WAIT_VERSION) {
            return (int) queryLong(TERMINATE_OTHERS_WAIT_SQL, TERMINATE_WAIT_MILLIS, name);
        }
        return (int) queryLong(TERMINATE_OTHERS_SQL, name);
    }

    /**
     * Drops the database: terminates the backends still connected to it, then runs {@code DROP DATABASE IF EXISTS}
     * ({@code WITH (FORCE)} on PostgreSQL 13 and newer) from the admin database. Idempotent; after the first
     * successful call further calls do nothing. Blocks.
     *
     * @throws PostgresTestException when the database cannot be dropped; a later call tries again
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        int versionNum = server.serverVersionNum();
        try (Connection admin = server.openAdminConnection()) {
            if (versionNum >= TERMINATE_WAIT_VERSION) {
                Jdbc.rows(admin, TERMINATE_OTHERS_WAIT_SQL, new Object[] {TERMINATE_WAIT_MILLIS, name});
            } else {
                Jdbc.rows(admin, TERMINATE_OTHERS_SQL, new Object[] {name});
            }
            dropDatabase(admin, versionNum >= FORCE_DROP_VERSION);
        } catch (SQLException e) {
            throw new PostgresTestException("Dropping test database " + name + " failed: " + e.getMessage(), e);
        }
        closed = true;
    }

    private void dropDatabase(Connection admin, boolean force) throws SQLException {
        // Identifiers cannot be bound; the name was generated from [a-z0-9_] only.
        String drop = "DROP DATABASE IF EXISTS " + DatabaseNames.quote(name) + (force ? " WITH (FORCE)" : "");
        long deadline = System.nanoTime() + DROP_RETRY_MILLIS * 1_000_000;
        while (true) {
            try (Statement statement = admin.createStatement()) {
                statement.execute(drop);
                return;
            } catch (SQLException e) {
                // Before FORCE existed, a terminated backend may not have exited yet: retry until it has.
                if (!OBJECT_IN_USE.equals(e.getSQLState()) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresTestException("Interrupted while dropping test database " + name, e);
            }
        }
    }

    private Optional<Object> singleRowFirstColumn(String sql, @Nullable Object[] params) {
        List<Map<String, @Nullable Object>> rows = queryRows(sql, params);
        if (rows.size() != 1) {
            throw new PostgresTestException("Query returned " + rows.size() + " rows, expected exactly one: " + sql,
                    null);
        }
        return firstColumn(rows.get(0), sql);
    }

    private static Optional<Object> firstColumn(Map<String, @Nullable Object> row, String sql) {
        if (row.isEmpty()) {
            throw new PostgresTestException("Query returned a row without columns: " + sql, null);
        }
        return Optional.ofNullable(row.values().iterator().next());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Test database " + name + " was closed");
        }
    }

    private PostgresTestException failed(String sql, SQLException e) {
        return new PostgresTestException("Statement failed on test database " + name + " (SQLSTATE " + e.getSQLState()
                + "): " + e.getMessage() + "\n  SQL: " + sql, e);
    }

    @Override
    public String toString() {
        return "TestDatabase[" + name + " on " + server + "]";
    }
}
