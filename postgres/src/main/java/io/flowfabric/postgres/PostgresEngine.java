package io.flowfabric.postgres;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.spi.AdminOperations;
import io.flowfabric.core.spi.EventOperations;
import io.flowfabric.core.spi.ExecutionOperations;
import io.flowfabric.core.spi.FlowOperations;
import io.flowfabric.core.spi.OperatorOperations;
import io.flowfabric.core.spi.ReconcilerOperations;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.spi.WorkerOperations;
import io.flowfabric.postgres.executions.ExecutionFamilies;
import io.flowfabric.postgres.executions.ExecutionSettings;
import io.flowfabric.postgres.flows.FlowFamilies;
import io.flowfabric.postgres.events.PgEventOperations;
import io.flowfabric.postgres.metrics.EngineMetrics;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.reconcile.ReconcilerSupervisor;
import io.flowfabric.postgres.schema.SchemaManager;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The FlowFabric engine on PostgreSQL. Build it with {@link #builder()}, {@link #start()} it, use the family facades,
 * and {@link #stop(Duration)} (or {@link #close()}) it.
 *
 * <p>{@code start()} runs the Liquibase migrations over JDBC on the bounded-elastic scheduler (never on an event loop)
 * when {@code migrate} is on, then verifies the schema version and partition layout and refuses a mismatch with
 * {@code UnavailableException(SCHEMA_MISMATCH)}; only then do operations run. {@code stop(grace)} rejects new
 * operations, waits up to {@code grace} for in-flight ones, and disposes the connection pool if the engine created it
 * (a pool passed in by the caller is left to its owner).
 *
 * <p>Thread-safe; one instance per application and schema is the intended use.
 *
 * @since 0.1
 */
public final class PostgresEngine implements FlowFabric {

    /** The library version reported by {@code admin().capabilities()}. */
    public static final String VERSION = "0.1.0";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresEngine.class);

    private final Settings settings;
    private final ConnectionFactory pool;
    private final @Nullable ConnectionPool ownedPool;
    private final Database database;
    private final ExecutionFamilies families;
    private final PgAdminOperations admin;
    private final ReconcilerSupervisor reconcilers;
    private final @Nullable NotificationHub hub;
    private final PgEventOperations events;
    private final FlowFamilies flowFamilies;
    private final io.flowfabric.postgres.streams.StreamFamily streamFamily;
    private final AtomicReference<Mono<Void>> started = new AtomicReference<>();
    private final AtomicReference<Mono<Void>> stopped = new AtomicReference<>();

    private PostgresEngine(Settings settings, ConnectionFactory pool, @Nullable ConnectionPool ownedPool,
                           @Nullable ConnectionFactory listenerFactory) {
        this.settings = settings;
        this.pool = pool;
        this.ownedPool = ownedPool;
        EngineMetrics metrics = settings.meterRegistry == null ? EngineMetrics.none()
                : EngineMetrics.micrometer(settings.meterRegistry);
        Channels channels = new Channels(settings.schema);
        this.hub = listenerFactory == null ? null : new NotificationHub(listenerFactory, new NotificationHub.HubMetrics() {
            @Override
            public void reconnected() {
                metrics.listenerReconnected();
            }

            @Override
            public void notification(String channel) {
                metrics.notification(channels.classOf(channel));
            }
        });
        this.database = new Database(pool, settings.clockOffsetMs, metrics);
        SqlTemplate sql = new SqlTemplate(settings.schema);
        ExecutionSettings executionSettings = new ExecutionSettings(database, sql, channels,
                settings.instanceTagKey, settings.maxInputBytes, settings.maxResultBytes, settings.claimPollInterval,
                settings.notifyLeaseEvents, hub, settings.groupCommitConcurrency);
        this.families = new ExecutionFamilies(executionSettings, metrics);
        this.admin = new PgAdminOperations(database, sql, SchemaManager.REQUIRED_SCHEMA_VERSION,
                settings.physicalPartitions);
        this.flowFamilies = new FlowFamilies(database, sql, executionSettings.channels(), hub, families.terminal(),
                Duration.ofSeconds(1), Duration.ofSeconds(30), settings.crashBeforeHop);
        families.dependencyStager(flowFamilies.dependencyStager());
        families.memberReplay(flowFamilies.memberReplay());
        java.util.List<io.flowfabric.postgres.reconcile.ReconcilerJob> jobs = new java.util.ArrayList<>(families.jobs());
        jobs.addAll(flowFamilies.jobs());
        this.streamFamily = new io.flowfabric.postgres.streams.StreamFamily(database, sql, channels, hub,
                families.fences());
        jobs.add(streamFamily.ttlJob());
        jobs.addAll(new io.flowfabric.postgres.retention.RetentionJobs(database, sql, settings.retention,
                settings.outboxRetention, settings.auditRetention).jobs());
        this.reconcilers = new ReconcilerSupervisor(jobs, settings.reconcilerIntervals, metrics);
        this.events = new PgEventOperations(database, sql, channels, hub, metrics);
        registerGauges(metrics);
    }

    private void registerGauges(EngineMetrics metrics) {
        metrics.gauge("flowfabric.listener.connected", "1 while the LISTEN connection is up",
                () -> listenerConnected() ? 1 : 0);
        metrics.gauge("flowfabric.listener.channels", "channels LISTENed on for at least one waiter",
                this::listenerChannels);
        metrics.gauge("flowfabric.operations.inflight", "units of work running now", database::inFlight);
        if (ownedPool != null) {
            ConnectionPool p = ownedPool;
            metrics.gauge("flowfabric.pool.acquired", "pooled connections in use",
                    () -> p.getMetrics().map(m -> m.acquiredSize()).orElse(0));
            metrics.gauge("flowfabric.pool.idle", "idle pooled connections",
                    () -> p.getMetrics().map(m -> m.idleSize()).orElse(0));
            metrics.gauge("flowfabric.pool.pending", "operations waiting for a pooled connection",
                    () -> p.getMetrics().map(m -> m.pendingAcquireSize()).orElse(0));
        }
    }

    /** Starts a builder with every default of spec 09 §6. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ExecutionOperations executions() {
        return families.executions();
    }

    @Override
    public FlowOperations flows() {
        return flowFamilies.flows();
    }

    @Override
    public WorkerOperations workers() {
        return families.workers();
    }

    @Override
    public OperatorOperations operator() {
        return families.operator();
    }

    @Override
    public AdminOperations admin() {
        return admin;
    }

    @Override
    public StreamOperations streams() {
        return streamFamily.streams();
    }

    @Override
    public EventOperations subscriptions() {
        return events;
    }

    /** Whether the engine's LISTEN connection is up (false when it has none). */
    public boolean listenerConnected() {
        return hub != null && hub.connected();
    }

    /** Channels the listener currently LISTENs on for at least one waiter. */
    public int listenerChannels() {
        return hub == null ? 0 : hub.channelCount();
    }

    /** How many times the listener reconnected after losing its connection. */
    public long listenerReconnects() {
        return hub == null ? 0 : hub.reconnects();
    }

    @Override
    public ReconcilerOperations reconcilers() {
        return reconcilers;
    }

    /** The schema this engine works in. */
    public String schema() {
        return settings.schema;
    }

    /** The R2DBC connection factory (pool) operations use. */
    public ConnectionFactory connectionFactory() {
        return pool;
    }

    /** {@inheritDoc} Runs the migration (if enabled) and verification once; later subscriptions replay the outcome. */
    @Override
    public Mono<Void> start() {
        return Mono.defer(() -> {
            Mono<Void> run = Mono.<Void>fromRunnable(this::prepareSchema)
                    .subscribeOn(Schedulers.boundedElastic())
                    .then(ownedPool == null ? Mono.empty() : ownedPool.warmup().then())
                    .then(hub == null ? Mono.empty() : hub.start())
                    .doOnSuccess(v -> {
                        database.open();
                        flowFamilies.start();
                        if (settings.backgroundReconcilers) {
                            reconcilers.start();
                        }
                        LOG.info("FlowFabric engine started on schema {} ({} physical partitions)", settings.schema,
                                settings.physicalPartitions);
                    })
                    .cache();
            return started.compareAndSet(null, run) ? run : started.get();
        });
    }

    private void prepareSchema() {
        if (settings.jdbcUrl == null) {
            throw new IllegalStateException("no JDBC settings: give url(...) or jdbc(...) so the engine can "
                    + "migrate and verify its schema");
        }
        SchemaManager schema = SchemaManager.create(settings.jdbcUrl, settings.jdbcUser, settings.jdbcPassword,
                settings.schema, settings.physicalPartitions);
        if (settings.migrate) {
            schema.migrate();
        }
        schema.verify();
    }

    @Override
    public Mono<Void> stop(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        return Mono.defer(() -> {
            Mono<Void> run = Mono.fromRunnable(() -> {
                        reconcilers.stop();
                        flowFamilies.stop();
                    })
                    .then(hub == null ? Mono.empty() : hub.stop())
                    .then(database.close(grace))
                    .then(ownedPool == null ? Mono.empty() : ownedPool.disposeLater())
                    .doOnSuccess(v -> LOG.info("FlowFabric engine on schema {} stopped", settings.schema))
                    .cache();
            return stopped.compareAndSet(null, run) ? run : stopped.get();
        });
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
    }

    // ------------------------------------------------------------------------------------------ configuration

    private record Settings(String schema, int physicalPartitions, @Nullable String jdbcUrl,
                            @Nullable String jdbcUser, @Nullable String jdbcPassword, boolean migrate,
                            @Nullable Object meterRegistry, String instanceTagKey, int maxInputBytes,
                            int maxResultBytes, Duration claimPollInterval, boolean notifyLeaseEvents,
                            @Nullable LongSupplier clockOffsetMs, boolean backgroundReconcilers,
                            Map<String, Duration> reconcilerIntervals, java.util.function.IntPredicate crashBeforeHop,
                            Duration retention, Duration outboxRetention, Duration auditRetention,
                            int groupCommitConcurrency) {
    }

    /**
     * Configures an engine. Every option has the default of spec 09 §6; durations are {@link Duration}s. Give either
     * {@link #url(String)} (the engine creates and owns its pool) or {@link #connectionFactory(ConnectionFactory)}
     * plus {@link #jdbc(String, String, String)} (the caller owns the pool).
     */
    public static final class Builder {
        private static final int MAX_PAYLOAD_LIMIT = 16 * 1024 * 1024;

        private @Nullable String url;
        private @Nullable ConnectionFactory connectionFactory;
        private @Nullable ConnectionFactory listenerConnectionFactory;
        private @Nullable String jdbcUrl;
        private @Nullable String jdbcUser;
        private @Nullable String jdbcPassword;
        private String schema = "flowfabric";
        private int physicalPartitions = 1;
        private int poolInitialSize = 2;
        private int poolMaxSize = 20;
        private int groupCommitConcurrency = 2;
        private Duration poolMaxAcquireTime = Duration.ofSeconds(10);
        private Duration statementTimeout = Duration.ofSeconds(30);
        private Duration lockTimeout = Duration.ofSeconds(5);
        private String applicationName = "flowfabric";
        private boolean migrate = true;
        private @Nullable Object meterRegistry;
        private String instanceTagKey = "cairn.instance_id";
        private int maxInputBytes = 1024 * 1024;
        private int maxResultBytes = 1024 * 1024;
        private Duration claimPollInterval = Duration.ofSeconds(2);
        private boolean notifyLeaseEvents = true;
        private @Nullable LongSupplier clockOffsetMs;
        private boolean backgroundReconcilers = true;
        private final Map<String, Duration> reconcilerIntervals = new java.util.HashMap<>();
        private java.util.function.IntPredicate crashBeforeHop = hop -> false;
        private Duration retention = Duration.ofDays(7);
        private Duration outboxRetention = Duration.ofDays(7);
        private Duration auditRetention = Duration.ofDays(30);

        private Builder() {
        }

        /**
         * The database as an R2DBC URL, e.g. {@code r2dbc:postgresql://user:password@host:5432/database}. The engine
         * derives its JDBC settings for migrations from it and creates (and owns) a connection pool.
         */
        public Builder url(String r2dbcUrl) {
            this.url = Objects.requireNonNull(r2dbcUrl, "r2dbcUrl");
            return this;
        }

        /** A connection factory (normally an r2dbc-pool {@code ConnectionPool}) the caller owns. */
        public Builder connectionFactory(ConnectionFactory factory) {
            this.connectionFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * A factory of dedicated, non-pooled connections for the engine's one LISTEN connection (created from
         * {@link #url} when that is used). Without one, waiters (blocking claims, subscriptions) only poll.
         */
        public Builder listenerConnectionFactory(ConnectionFactory factory) {
            this.listenerConnectionFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** JDBC settings for schema migration and verification (derived from {@link #url} when that is used). */
        public Builder jdbc(String jdbcUrl, @Nullable String user, @Nullable String password) {
            this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            this.jdbcUser = user;
            this.jdbcPassword = password;
            return this;
        }

        /** The schema holding every table (default {@code flowfabric}); must match {@code [a-z_][a-z0-9_]{0,47}}. */
        public Builder schema(String schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /**
         * Physical hash partitions of hot tables, fixed at install time: 1 (plain tables, the default chosen by
         * the benchmark in docs/partitioning.md), 2, 4, 8, 16 or 32. A later start with another value is refused.
         */
        public Builder physicalPartitions(int p) {
            this.physicalPartitions = p;
            return this;
        }

        /** Pool sizes when the engine owns the pool (default 2 initial, 20 max). */
        public Builder poolSize(int initial, int max) {
            this.poolInitialSize = initial;
            this.poolMaxSize = max;
            return this;
        }

        /**
         * Statements one grouped operation (a simple create, a complete) runs at once (default 2, at most 64). A call
         * that finds a free slot runs alone at once; calls arriving while every slot is busy wait and share the next
         * statement. Set it near the database server's CPU count, not the pool size: on two CPUs, 2 at once sustained
         * 4751 executions/s where 4 sustained 3279, and held the completion-delivery p99 at 4-6 ms where 5 let it
         * reach 30 ms (statements preempting each other hold every subscriber's read back behind the slowest open
         * transaction; docs/benchmarks.md).
         */
        public Builder groupCommitConcurrency(int statements) {
            this.groupCommitConcurrency = statements;
            return this;
        }

        /** How long an operation waits for a pooled connection before {@code POOL_EXHAUSTED} (default 10 s). */
        public Builder poolMaxAcquireTime(Duration d) {
            this.poolMaxAcquireTime = Objects.requireNonNull(d);
            return this;
        }

        /** Server-side {@code statement_timeout} of engine connections (default 30 s). */
        public Builder statementTimeout(Duration d) {
            this.statementTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** Server-side {@code lock_timeout} of engine connections (default 5 s). */
        public Builder lockTimeout(Duration d) {
            this.lockTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** {@code application_name} of engine connections (default {@code flowfabric}); visible in pg_stat_activity. */
        public Builder applicationName(String name) {
            this.applicationName = Objects.requireNonNull(name);
            return this;
        }

        /** Whether {@code start()} applies migrations (default true); when false it only verifies. */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * Records metrics (names prefixed {@code flowfabric.}) into this Micrometer {@code MeterRegistry}. None by
         * default: without a registry nothing touches Micrometer.
         */
        public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry);
            return this;
        }

        /** The tag key whose value is copied to events' {@code instance_tag} (default {@code cairn.instance_id}). */
        public Builder instanceTagKey(String key) {
            this.instanceTagKey = Objects.requireNonNull(key);
            return this;
        }

        /** Input and result payload limits (default 1 MiB each, at most 16 MiB). */
        public Builder payloadLimits(int maxInputBytes, int maxResultBytes) {
            this.maxInputBytes = maxInputBytes;
            this.maxResultBytes = maxResultBytes;
            return this;
        }

        /** How often a claim waiting for work looks again when no wake-up arrives (default 2 s). */
        public Builder claimPollInterval(Duration d) {
            this.claimPollInterval = Objects.requireNonNull(d);
            return this;
        }

        /** Whether units that write lease events NOTIFY the lease channel (default true). */
        public Builder notifyLeaseEvents(boolean on) {
            this.notifyLeaseEvents = on;
            return this;
        }

        /**
         * Whether the engine schedules its reconcilers itself (default true). Turn it off to drive them only with
         * {@code reconcilers().tick(job)}, as tests do.
         */
        public Builder backgroundReconcilers(boolean on) {
            this.backgroundReconcilers = on;
            return this;
        }

        /** Overrides one job's interval (defaults: spec 08 §2, e.g. {@code lease_expiry} 1 s). */
        public Builder reconcilerInterval(String job, Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("a reconciler interval must be positive");
            }
            this.reconcilerIntervals.put(Objects.requireNonNull(job), interval);
            return this;
        }

        /**
         * How long terminal executions and finished flows are kept before the {@code retention} job deletes them
         * from every table (default 7 days), how long outbox events are kept (default 7 days; undispatched
         * completion events are never pruned) and how long worker audit events are kept (default 30 days).
         */
        public Builder retention(Duration executionsAndFlows, Duration outboxEvents, Duration workerAudit) {
            this.retention = Objects.requireNonNull(executionsAndFlows);
            this.outboxRetention = Objects.requireNonNull(outboxEvents);
            this.auditRetention = Objects.requireNonNull(workerAudit);
            return this;
        }

        /**
         * Test only: crash injection for the completion dispatcher. When the predicate answers true for a hop number
         * (counted from 1 on this engine), the dispatcher abandons that event before the hop, as if the node had died
         * there; another node (or this one's {@code dependency} job) finishes it once the dispatch claim expires.
         */
        public Builder testDispatchCrash(java.util.function.IntPredicate crashBeforeHop) {
            this.crashBeforeHop = Objects.requireNonNull(crashBeforeHop);
            return this;
        }

        /**
         * Test only: shifts the database clock ({@code now_ms()}) seen by this engine by the supplier's value in
         * milliseconds, set in every transaction. Production engines never set it. The testing module's
         * {@code TestClock} is such a supplier.
         */
        public Builder testClockOffset(LongSupplier offsetMs) {
            this.clockOffsetMs = Objects.requireNonNull(offsetMs);
            return this;
        }

        /**
         * Builds the engine; nothing connects until {@link PostgresEngine#start()}.
         *
         * @throws IllegalArgumentException for an invalid configuration value
         */
        public PostgresEngine build() {
            if (!SchemaManager.isValidSchemaName(schema)) {
                throw new IllegalArgumentException("schema name must match [a-z_][a-z0-9_]{0,47}: " + schema);
            }
            if (!java.util.Set.of(1, 2, 4, 8, 16, 32).contains(physicalPartitions)) {
                throw new IllegalArgumentException("physicalPartitions must be 1, 2, 4, 8, 16 or 32");
            }
            if (poolInitialSize < 0 || poolMaxSize < 1 || poolInitialSize > poolMaxSize) {
                throw new IllegalArgumentException("pool sizes must satisfy 0 <= initial <= max, max >= 1");
            }
            if (groupCommitConcurrency < 1 || groupCommitConcurrency > 64) {
                throw new IllegalArgumentException("groupCommitConcurrency must be 1..64, got " + groupCommitConcurrency);
            }
            if (maxInputBytes < 1 || maxInputBytes > MAX_PAYLOAD_LIMIT || maxResultBytes < 1
                    || maxResultBytes > MAX_PAYLOAD_LIMIT) {
                throw new IllegalArgumentException("payload limits must be 1 byte..16 MiB");
            }
            if ((url == null) == (connectionFactory == null)) {
                throw new IllegalArgumentException("give exactly one of url(...) or connectionFactory(...)");
            }
            ConnectionFactory factory;
            ConnectionFactory listener = listenerConnectionFactory;
            ConnectionPool owned = null;
            if (url != null) {
                ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url);
                String host = (String) options.getRequiredValue(ConnectionFactoryOptions.HOST);
                Object portValue = options.getValue(ConnectionFactoryOptions.PORT);
                int port = portValue == null ? 5432 : Integer.parseInt(portValue.toString());
                String database = (String) options.getRequiredValue(ConnectionFactoryOptions.DATABASE);
                String user = (String) options.getRequiredValue(ConnectionFactoryOptions.USER);
                Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
                String pw = password == null ? null : password.toString();
                PostgresqlConnectionConfiguration config = PostgresqlConnectionConfiguration.builder()
                        .host(host).port(port).database(database).username(user).password(pw)
                        .applicationName(applicationName)
                        .preparedStatementCacheQueries(256)
                        .options(Map.of(
                                "statement_timeout", Long.toString(statementTimeout.toMillis()),
                                "lock_timeout", Long.toString(lockTimeout.toMillis())))
                        .build();
                owned = new ConnectionPool(ConnectionPoolConfiguration.builder(new PostgresqlConnectionFactory(config))
                        .name("flowfabric-" + schema)
                        .initialSize(poolInitialSize)
                        .maxSize(poolMaxSize)
                        .maxAcquireTime(poolMaxAcquireTime)
                        // No validation query: it would cost a round trip on every acquire. The pool checks the
                        // channel locally; a connection the server dropped fails its unit with the retryable
                        // Unavailable(TRANSPORT) and is discarded.
                        .build());
                factory = owned;
                if (listener == null) {
                    listener = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                            .host(host).port(port).database(database).username(user).password(pw)
                            .applicationName(applicationName + "-listener")
                            .build());
                }
                if (jdbcUrl == null) {
                    jdbcUrl = "jdbc:postgresql://" + host + ":" + port + "/" + database;
                    jdbcUser = user;
                    jdbcPassword = pw;
                }
            } else {
                factory = connectionFactory;
            }
            Settings settings = new Settings(schema, physicalPartitions, jdbcUrl, jdbcUser, jdbcPassword, migrate,
                    meterRegistry, instanceTagKey, maxInputBytes, maxResultBytes, claimPollInterval,
                    notifyLeaseEvents, clockOffsetMs, backgroundReconcilers, Map.copyOf(reconcilerIntervals),
                    crashBeforeHop, retention, outboxRetention, auditRetention, groupCommitConcurrency);
            return new PostgresEngine(settings, factory, owned, listener);
        }
    }
}
