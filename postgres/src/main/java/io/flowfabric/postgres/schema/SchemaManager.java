package io.flowfabric.postgres.schema;

import io.flowfabric.core.error.UnavailableException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import liquibase.Contexts;
import liquibase.GlobalConfiguration;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.analytics.configuration.AnalyticsArgs;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.executor.ExecutorService;
import liquibase.lockservice.LockService;
import liquibase.lockservice.LockServiceFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs, migrates and verifies FlowFabric's schema in one PostgreSQL schema (spec 01 §10).
 *
 * <p>Everything runs over <b>blocking JDBC</b> on the calling thread, one short-lived connection per call. The engine
 * calls it once at start, off the event loop (on {@code Schedulers.boundedElastic()}), before any R2DBC work.
 *
 * <p>{@link #migrate()} applies the Liquibase changelogs under {@code io/flowfabric/postgres/db/} with the changelog
 * and lock tables {@code ff_changelog} and {@code ff_changelog_lock} inside the schema, and the changelog parameters
 * {@code ff_schema} and {@code ff_physical_partitions}. Concurrent migrations of one schema, from any number of
 * nodes, are serialised by a session-level advisory lock, so exactly one applies the changesets and the others find
 * nothing left to do. {@link #verify()} checks what the engine needs before it starts; it never changes anything.
 *
 * <p>Instances are immutable and thread-safe. Create them with {@link #create}.
 *
 * @since 0.1
 */
public final class SchemaManager {

    /** The schema version this library's code needs ({@code ff_config.schema_version}). */
    public static final int REQUIRED_SCHEMA_VERSION = 2;

    /** The number of logical partitions (spec 01 §2); stored in {@code ff_config.logical_partitions}. */
    public static final int LOGICAL_PARTITIONS = 256;

    /** Classpath location of the master changelog. */
    static final String CHANGELOG = "io/flowfabric/postgres/db/changelog.xml";
    static final String CHANGELOG_TABLE = "ff_changelog";
    static final String CHANGELOG_LOCK_TABLE = "ff_changelog_lock";
    /** First key of the two-int advisory lock that serialises migrations; the second is the CRC-32 of the schema. */
    static final int MIGRATION_LOCK_CLASS = 0x4646_0001;
    /** Above this P, {@code max_locks_per_transaction} below {@link #MIN_LOCKS_FOR_MANY_PARTITIONS} is a warning. */
    private static final int MANY_PARTITIONS = 8;
    private static final int MIN_LOCKS_FOR_MANY_PARTITIONS = 128;

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,47}");
    private static final Set<Integer> PHYSICAL_PARTITION_COUNTS = Set.of(1, 2, 4, 8, 16, 32);
    private static final String APPLICATION_NAME = "flowfabric-schema";

    private static final Logger LOG = LoggerFactory.getLogger(SchemaManager.class);

    private final String jdbcUrl;
    private final @Nullable String user;
    private final @Nullable String password;
    private final String schema;
    private final int physicalPartitions;
    private final String changelog;

    private SchemaManager(String jdbcUrl, @Nullable String user, @Nullable String password, String schema,
            int physicalPartitions, String changelog) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.schema = schema;
        this.physicalPartitions = physicalPartitions;
        this.changelog = changelog;
    }

    /**
     * This manager with another master changelog on the class path: for tests that install an older schema version
     * (a changelog including only that version's files) and then upgrade it with the real one.
     */
    SchemaManager withChangelog(String classpathChangelog) {
        return new SchemaManager(jdbcUrl, user, password, schema, physicalPartitions, classpathChangelog);
    }

    /**
     * Creates a manager for one schema. Nothing is contacted until {@link #migrate()} or {@link #verify()}.
     *
     * @param jdbcUrl            a {@code jdbc:postgresql:} URL; it may carry the credentials itself
     * @param user               the user, or {@code null} to take it from the URL
     * @param password           the password, or {@code null} to take it from the URL (or none)
     * @param schema             the schema holding every FlowFabric object, see {@link #isValidSchemaName}
     * @param physicalPartitions P, the hash partitions of every hot table: 1, 2, 4, 8, 16 or 32 (1 = plain tables)
     * @return the manager
     * @throws IllegalArgumentException when the URL is not a PostgreSQL JDBC URL, the schema name is invalid or P is
     *                                  not one of the allowed values
     */
    public static SchemaManager create(String jdbcUrl, @Nullable String user, @Nullable String password,
            String schema, int physicalPartitions) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(schema, "schema");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:");
        }
        if (!isValidSchemaName(schema)) {
            throw new IllegalArgumentException("invalid schema name \"" + schema
                    + "\": it must match [a-z_][a-z0-9_]{0,47} and must not start with pg_");
        }
        if (!PHYSICAL_PARTITION_COUNTS.contains(physicalPartitions)) {
            throw new IllegalArgumentException("physical partitions must be 1, 2, 4, 8, 16 or 32, got "
                    + physicalPartitions);
        }
        return new SchemaManager(jdbcUrl, user, password, schema, physicalPartitions, CHANGELOG);
    }

    /**
     * Whether {@code s} can name FlowFabric's schema: {@code [a-z_][a-z0-9_]{0,47}} (spec 01 §10), excluding names
     * starting with {@code pg_}, which PostgreSQL reserves for system schemas.
     *
     * @param s a candidate name, may be {@code null}
     * @return {@code true} when the name is acceptable
     */
    public static boolean isValidSchemaName(@Nullable String s) {
        return s != null && SCHEMA_NAME.matcher(s).matches() && !s.startsWith("pg_");
    }

    /**
     * Brings the schema up to this library's version. Blocks; idempotent.
     *
     * <p>Takes a session-level advisory lock keyed on the schema name for the whole call (other nodes migrating the
     * same schema wait for it), creates the schema if it does not exist, refuses to touch a schema installed with a
     * different physical partition count, then runs Liquibase. A schema whose {@code ff_config.schema_version} is
     * already {@value #REQUIRED_SCHEMA_VERSION} or newer applies nothing and does not start Liquibase at all (every
     * release sets the version in its last changeset), which keeps restarts to a few queries.
     *
     * @return how many changesets were applied and how long it took
     * @throws UnavailableException of kind {@link UnavailableException.Kind#SCHEMA_MISMATCH} when the schema was
     *                              installed with another physical partition count; {@code TRANSPORT} when the
     *                              database cannot be reached; {@code DATABASE_ERROR} when a statement or changeset
     *                              fails
     */
    public MigrationReport migrate() {
        long start = System.nanoTime();
        try (Connection connection = connect()) {
            lockMigration(connection);
            try {
                ensureSchema(connection);
                InstalledConfig installed = installedConfig(connection);
                if (installed != null && installed.physicalPartitions() != physicalPartitions) {
                    throw physicalPartitionMismatch(installed.physicalPartitions());
                }
                int applied = 0;
                // Every release bumps schema_version in its last changeset, so a version at or above the one this
                // library needs means all of its changesets ran; restarts then skip Liquibase (and its start-up
                // cost) entirely.
                if (installed == null || installed.schemaVersion() < REQUIRED_SCHEMA_VERSION) {
                    int before = appliedChangeSetCount(connection);
                    runLiquibase(connection);
                    applied = appliedChangeSetCount(connection) - before;
                }
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                if (applied > 0) {
                    LOG.info("FlowFabric schema \"{}\": applied {} changesets (P = {}) in {} ms", schema, applied,
                            physicalPartitions, took.toMillis());
                } else {
                    LOG.debug("FlowFabric schema \"{}\" is up to date ({} ms)", schema, took.toMillis());
                }
                return new MigrationReport(applied, took);
            } finally {
                unlockMigration(connection);
            }
        } catch (SQLException e) {
            throw unavailable("migration", e);
        }
    }

    /**
     * Checks that the schema is what this library and its configuration need, without changing anything:
     * {@code ff_config} exists, {@code logical_partitions} is {@value #LOGICAL_PARTITIONS}, {@code schema_version} is
     * {@value #REQUIRED_SCHEMA_VERSION} and {@code physical_partitions} is the configured P. Also logs a warning when
     * P is above 8 and the server's {@code max_locks_per_transaction} is below 128. Blocks.
     *
     * @throws UnavailableException of kind {@link UnavailableException.Kind#SCHEMA_MISMATCH} with a message saying
     *                              what differs and what to do; {@code TRANSPORT} or {@code DATABASE_ERROR} when the
     *                              check itself cannot run
     */
    public void verify() {
        try (Connection connection = connect()) {
            if (!tableExists(connection, "ff_config")) {
                throw mismatch("schema \"" + schema + "\" holds no FlowFabric installation (no ff_config table)"
                        + ": run migrations (migrate=true)");
            }
            int logical;
            int physical;
            int version;
            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT logical_partitions, physical_partitions, "
                            + "schema_version FROM " + qualified("ff_config") + " WHERE singleton")) {
                if (!rs.next()) {
                    throw mismatch("schema \"" + schema + "\" has an empty ff_config: run migrations (migrate=true)");
                }
                logical = rs.getInt(1);
                physical = rs.getInt(2);
                version = rs.getInt(3);
            }
            if (logical != LOGICAL_PARTITIONS) {
                throw mismatch("ff_config.logical_partitions is " + logical + " in schema \"" + schema
                        + "\" but FlowFabric requires exactly " + LOGICAL_PARTITIONS);
            }
            if (version < REQUIRED_SCHEMA_VERSION) {
                throw mismatch("database schema is at version " + version + " but this library needs "
                        + REQUIRED_SCHEMA_VERSION + ": run migrations (migrate=true)");
            }
            if (version > REQUIRED_SCHEMA_VERSION) {
                throw mismatch("database schema version " + version + " is newer than this library ("
                        + REQUIRED_SCHEMA_VERSION + "): upgrade FlowFabric");
            }
            if (physical != physicalPartitions) {
                throw physicalPartitionMismatch(physical);
            }
            warnAboutLocks(connection);
        } catch (SQLException e) {
            throw unavailable("schema verification", e);
        }
    }

    @Override
    public String toString() {
        return "SchemaManager{schema=" + schema + ", physicalPartitions=" + physicalPartitions + "}";
    }

    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", APPLICATION_NAME);
        // The driver directly, not DriverManager: independent of the context class loader of the caller.
        Connection connection = new org.postgresql.Driver().connect(jdbcUrl, properties);
        if (connection == null) {
            throw new SQLException("the PostgreSQL driver does not accept the URL", "08001");
        }
        connection.setAutoCommit(true);
        return connection;
    }

    private void lockMigration(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
            statement.setInt(1, MIGRATION_LOCK_CLASS);
            statement.setInt(2, schemaLockKey());
            statement.execute();
        }
    }

    private void unlockMigration(Connection connection) {
        try {
            if (connection.isClosed()) {
                return;
            }
            if (!connection.getAutoCommit()) {
                connection.rollback();
                connection.setAutoCommit(true);
            }
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
                statement.setInt(1, MIGRATION_LOCK_CLASS);
                statement.setInt(2, schemaLockKey());
                statement.execute();
            }
        } catch (SQLException e) {
            // Closing the session (next) releases a session-level advisory lock anyway.
            LOG.debug("Could not release the migration lock of schema \"{}\" explicitly", schema, e);
        }
    }

    private int schemaLockKey() {
        CRC32 crc = new CRC32();
        crc.update(schema.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    private void ensureSchema(Connection connection) throws SQLException {
        // Look first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the schema
        // exists, and a pre-created schema must work for a user without it.
        boolean exists;
        try (PreparedStatement statement =
                connection.prepareStatement("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?")) {
            statement.setString(1, schema);
            try (ResultSet rs = statement.executeQuery()) {
                exists = rs.next();
            }
        }
        if (!exists) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + quotedSchema());
            }
        }
    }

    private @Nullable InstalledConfig installedConfig(Connection connection) throws SQLException {
        if (!tableExists(connection, "ff_config")) {
            return null;
        }
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT physical_partitions, schema_version FROM "
                        + qualified("ff_config") + " WHERE singleton")) {
            return rs.next() ? new InstalledConfig(rs.getInt(1), rs.getInt(2)) : null;
        }
    }

    private int appliedChangeSetCount(Connection connection) throws SQLException {
        if (!tableExists(connection, CHANGELOG_TABLE)) {
            return 0;
        }
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM " + qualified(CHANGELOG_TABLE))) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private boolean tableExists(Connection connection, String table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, qualified(table));
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private void runLiquibase(Connection connection) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(Scope.Attr.logService.name(), new LiquibaseSlf4jLogService());
        settings.put(Scope.Attr.ui.name(), new LoggerUIService());
        settings.put(AnalyticsArgs.ENABLED.getKey(), Boolean.FALSE);
        settings.put(GlobalConfiguration.SHOW_BANNER.getKey(), Boolean.FALSE);
        // Makes Liquibase quote the schema name (SET search_path, its own tables), so that a schema named like an
        // SQL keyword works; names are lower case already, so quoting changes nothing else.
        settings.put(GlobalConfiguration.PRESERVE_SCHEMA_CASE.getKey(), Boolean.TRUE);
        // A jar seen twice on the class path (shaded copies, test class paths) carries identical changelogs.
        settings.put(GlobalConfiguration.DUPLICATE_FILE_MODE.getKey(), GlobalConfiguration.DuplicateFileMode.WARN);
        Database database = null;
        try {
            database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
            database.setDefaultSchemaName(schema);
            database.setLiquibaseSchemaName(schema);
            database.setDatabaseChangeLogTableName(CHANGELOG_TABLE);
            database.setDatabaseChangeLogLockTableName(CHANGELOG_LOCK_TABLE);
            Database db = database;
            Scope.child(settings, () -> {
                releaseStaleLiquibaseLock(db);
                ClassLoaderResourceAccessor changelogs =
                        new ClassLoaderResourceAccessor(SchemaManager.class.getClassLoader());
                try {
                    Liquibase liquibase = new Liquibase(changelog, changelogs, db);
                    liquibase.setChangeLogParameter("ff_schema", schema);
                    liquibase.setChangeLogParameter("ff_physical_partitions", Integer.toString(physicalPartitions));
                    // The update summary goes to the (SLF4J) log, never to System.out.
                    liquibase.setShowSummaryOutput(UpdateSummaryOutputEnum.LOG);
                    liquibase.update(new Contexts(), new LabelExpression());
                } finally {
                    changelogs.close();
                }
            });
        } catch (Exception e) {
            throw failedLiquibase(e);
        } finally {
            if (database != null) {
                // Drops Liquibase's per-database executor; the connection itself is closed by migrate().
                forgetDatabase(database);
            }
        }
    }

    /**
     * The advisory lock already makes this node the only migrator of the schema, so a Liquibase lock row still held
     * is a leftover of a migrator that died; without this it would block every start for Liquibase's lock wait time.
     */
    private void releaseStaleLiquibaseLock(Database database) throws Exception {
        LockService lockService = LockServiceFactory.getInstance().getLockService(database);
        if (lockService.listLocks().length > 0) {
            LOG.warn("FlowFabric schema \"{}\": releasing a Liquibase lock left by an interrupted migration", schema);
            lockService.forceReleaseLock();
        }
    }

    private static void forgetDatabase(Database database) {
        try {
            Scope.getCurrentScope().getSingleton(ExecutorService.class).clearExecutor("jdbc", database);
        } catch (RuntimeException e) {
            LOG.debug("Could not clear Liquibase's state for a finished migration", e);
        }
    }

    private UnavailableException failedLiquibase(Exception e) {
        if (e instanceof UnavailableException) {
            return (UnavailableException) e;
        }
        // Liquibase's own message names the failing changeset; the SQLSTATE of the cause decides the kind.
        UnavailableException.Kind kind = UnavailableException.Kind.DATABASE_ERROR;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                kind = isTransport(((SQLException) t).getSQLState())
                        ? UnavailableException.Kind.TRANSPORT
                        : UnavailableException.Kind.DATABASE_ERROR;
                break;
            }
        }
        return new UnavailableException(kind, "migration of schema \"" + schema + "\" failed: " + e.getMessage(), e);
    }

    private UnavailableException unavailable(String what, SQLException e) {
        String state = e.getSQLState();
        return new UnavailableException(
                isTransport(state) ? UnavailableException.Kind.TRANSPORT : UnavailableException.Kind.DATABASE_ERROR,
                what + " of schema \"" + schema + "\" failed: " + e.getMessage()
                        + (state == null ? "" : " (SQLSTATE " + state + ")"),
                e);
    }

    /** Spec 01 §7: 08xxx, 53xxx and 57P01-57P03 mean the server cannot be reached or is going away. */
    private static boolean isTransport(@Nullable String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("53")
                || sqlState.equals("57P01") || sqlState.equals("57P02") || sqlState.equals("57P03"));
    }

    private UnavailableException physicalPartitionMismatch(int installed) {
        return mismatch("schema \"" + schema + "\" was installed with " + installed
                + " physical partitions but the engine is configured with " + physicalPartitions
                + ": the physical partition count cannot change after install");
    }

    private static UnavailableException mismatch(String message) {
        return new UnavailableException(UnavailableException.Kind.SCHEMA_MISMATCH, message);
    }

    private void warnAboutLocks(Connection connection) throws SQLException {
        if (physicalPartitions <= MANY_PARTITIONS) {
            return;
        }
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT current_setting('max_locks_per_transaction')::integer")) {
            rs.next();
            int maxLocks = rs.getInt(1);
            if (maxLocks < MIN_LOCKS_FOR_MANY_PARTITIONS) {
                LOG.warn("FlowFabric schema \"{}\" uses {} physical partitions but max_locks_per_transaction is {};"
                        + " raise it to at least {} or transactions touching many tables may run out of lock slots",
                        schema, physicalPartitions, maxLocks, MIN_LOCKS_FOR_MANY_PARTITIONS);
            }
        }
    }

    private String quotedSchema() {
        // The name is validated to [a-z0-9_], so quoting needs no escaping; it keeps reserved words usable.
        return '"' + schema + '"';
    }

    private String qualified(String table) {
        return quotedSchema() + "." + table;
    }

    /** The parts of {@code ff_config} that decide whether and how to migrate. */
    private record InstalledConfig(int physicalPartitions, int schemaVersion) {
    }
}
