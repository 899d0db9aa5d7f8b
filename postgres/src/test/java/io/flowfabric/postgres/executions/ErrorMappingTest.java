package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.executions.ExecTestSupport.claim;
import static io.flowfabric.postgres.executions.ExecTestSupport.execText;
import static io.flowfabric.postgres.executions.ExecTestSupport.leaseEvents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowfabric.core.error.ContentionException;
import io.flowfabric.core.error.FlowFabricException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;

/**
 * SC-06: how database failures reach the caller. A fence failure is a {@link StateException}; a statement timeout a
 * {@link TimeoutException}; a lock timeout is retried inside the unit and surfaces as
 * {@code Contention(RETRY_EXHAUSTED)}; an unreachable database is {@code Unavailable(TRANSPORT)}; duplicate inserts
 * become domain results. {@code retryable()} is true only for contention and transport failures.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorMappingTest {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMappingTest.class);

    private PostgresEngine engine;
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    /** Opens a JDBC transaction holding the execution row lock; the caller closes it (rolling back). */
    private Connection lockRow(ExecutionId id) throws Exception {
        Connection connection = db.openConnection();
        connection.setAutoCommit(false);
        try (PreparedStatement lock = connection.prepareStatement("SELECT 1 FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND execution_id = ? FOR UPDATE")) {
            lock.setInt(1, id.partition());
            lock.setObject(2, id.uuid());
            lock.executeQuery().close();
        }
        return connection;
    }

    @Test
    @DisplayName("SC-06 a fence failure is a StateException, not contention, and not retryable")
    void fenceFailure() {
        String lane = lane("sc06-fence");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");

        Throwable error = catchThrowable(() -> await(engine.workers().complete(
                new LeaseFence(id, 0, claimed.leaseEpoch(), LeaseId.random()), null, null)));

        assertThat(error).isInstanceOfSatisfying(StateException.class, s -> {
            assertThat(s.kind()).isEqualTo(StateException.Kind.STALE_LEASE);
            assertThat(s.retryable()).isFalse();
        });
    }

    @Test
    @DisplayName("SC-06 duplicate inserts never surface as errors: 10 concurrent creates of one id give one Created and nine Duplicate")
    void duplicateInsertsBecomeResults() {
        String lane = lane("sc06-dup");
        ExecutionId id = ExecutionId.standalone();

        List<CreateResult> results = Flux.range(0, 10)
                .flatMap(i -> engine.executions().createExecution(CreateExecution.builder(lane).executionId(id)
                        .build()), 10)
                .collectList().block(ExecTestSupport.TIMEOUT);

        assertThat(results).filteredOn(CreateResult::created).hasSize(1);
        assertThat(results).filteredOn(r -> r instanceof CreateResult.Duplicate).hasSize(9);
        assertThat(results).allMatch(r -> r.executionId().equals(id));
        assertThat(ExecTestSupport.execCount(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("SC-06 two concurrent operator cancels never surface an error; exactly one completion event")
    void concurrentCancelsNoError() {
        String lane = lane("sc06-cancel");
        ExecutionId id = create(engine, lane);
        claim(engine, lane, "w");

        List<Cancelled> results = Flux.range(0, 4)
                .flatMap(i -> engine.operator().cancelExecution(id, null, null), 4)
                .collectList().block(ExecTestSupport.TIMEOUT);

        assertThat(results).hasSize(4).containsOnly(new Cancelled(PublicState.CANCELLED));
        assertThat(ExecTestSupport.completionEvents(db, id)).isEqualTo(1);
    }

    @Test
    @DisplayName("SC-06 a statement timeout (row lock held longer than statement_timeout 200 ms) is TimeoutException, not retryable; nothing changed")
    void statementTimeout() throws Exception {
        String lane = lane("sc06-stmt");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        String before = execText(db, id);

        try (PostgresEngine shortStatements = EngineFixture.start(db, clock,
                b -> b.statementTimeout(Duration.ofMillis(200)).applicationName("ff-stmt-timeout"))) {
            Throwable error;
            long started = System.nanoTime();
            try (Connection holder = lockRow(id)) {
                error = catchThrowable(() -> await(shortStatements.workers().renew(claimed.fence(),
                        Duration.ofSeconds(60))));
                holder.rollback();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(error).as("renew blocked by a row lock past statement_timeout")
                    .isInstanceOfSatisfying(TimeoutException.class, t -> assertThat(t.retryable()).isFalse());
            assertThat(took).isLessThan(Duration.ofSeconds(4));
            assertThat(execText(db, id)).isEqualTo(before);
            assertThat(leaseEvents(db, id, "renewed")).isZero();
            // Once the lock is gone the same engine works.
            assertThat(await(shortStatements.workers().renew(claimed.fence(), Duration.ofSeconds(60))).leaseEpoch())
                    .isEqualTo(1);
        }
    }

    @Test
    @DisplayName("SC-06 a lock timeout (lock_timeout 100 ms) is retried 5 times, then Contention(RETRY_EXHAUSTED) with LOCK_TIMEOUT as cause; retryable")
    void lockTimeoutExhausted() throws Exception {
        String lane = lane("sc06-lock");
        ExecutionId id = create(engine, lane);
        ClaimedExecution claimed = claim(engine, lane, "w");
        String before = execText(db, id);

        try (PostgresEngine shortLocks = EngineFixture.start(db, clock,
                b -> b.lockTimeout(Duration.ofMillis(100)).applicationName("ff-lock-timeout"))) {
            Throwable error;
            long started = System.nanoTime();
            try (Connection holder = lockRow(id)) {
                error = catchThrowable(() -> await(shortLocks.workers().complete(claimed.fence(), null, null)));
                holder.rollback();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(error).isInstanceOfSatisfying(ContentionException.class, c -> {
                assertThat(c.kind()).isEqualTo(ContentionException.Kind.RETRY_EXHAUSTED);
                assertThat(c.retryable()).isTrue();
                assertThat(c.getCause()).isInstanceOfSatisfying(ContentionException.class,
                        cause -> assertThat(cause.kind()).isEqualTo(ContentionException.Kind.LOCK_TIMEOUT));
            });
            // Five attempts of at least 100 ms each.
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(500)).isLessThan(Duration.ofSeconds(5));
            assertThat(execText(db, id)).isEqualTo(before);
            assertThat(ExecTestSupport.completionEvents(db, id)).isZero();
            assertThat(await(shortLocks.workers().complete(claimed.fence(), null, null)).publicState())
                    .isEqualTo(PublicState.COMPLETED);
        }
    }

    @Test
    @DisplayName("SC-06 an unreachable database (connection factory on a closed port) is Unavailable(TRANSPORT), retryable; after stop SHUTTING_DOWN, not retryable")
    void unreachableDatabase() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        PostgresqlConnectionFactory unreachable = new PostgresqlConnectionFactory(
                PostgresqlConnectionConfiguration.builder().host("127.0.0.1").port(closedPort).database(db.name())
                        .username(db.username()).password(db.password()).connectTimeout(Duration.ofSeconds(2))
                        .build());
        PostgresEngine offline = PostgresEngine.builder().connectionFactory(unreachable)
                .jdbc(db.jdbcUrl(), null, null).backgroundReconcilers(false).build();
        offline.start().block(Duration.ofSeconds(60));
        try {
            Throwable error = catchThrowable(() -> await(offline.executions()
                    .createExecution(CreateExecution.builder(lane("sc06-down")).build())));

            assertThat(error).isInstanceOfSatisfying(UnavailableException.class, u -> {
                assertThat(u.kind()).as(u.getMessage()).isEqualTo(UnavailableException.Kind.TRANSPORT);
                assertThat(u.retryable()).isTrue();
            });
        } finally {
            offline.close();
        }
        UnavailableException stopped = catchThrowableOfType(
                () -> await(offline.executions().readExecutionState(ExecutionId.standalone())),
                UnavailableException.class);
        assertThat(stopped).isNotNull();
        assertThat(stopped.kind()).isEqualTo(UnavailableException.Kind.SHUTTING_DOWN);
        assertThat(stopped.retryable()).isFalse();
    }

    @Test
    @DisplayName("SC-06 the pool's backends are terminated right before an operation: it succeeds on a revalidated connection or fails Unavailable(TRANSPORT, retryable); a retry succeeds")
    void terminatedBackends() {
        String lane = lane("sc06-kill");
        try (PostgresEngine victim = EngineFixture.start(db, clock, b -> b.applicationName("ff-victim")
                .poolSize(2, 4))) {
            ExecutionId id = create(victim, lane);
            await(victim.admin().ping());

            int killed = db.terminateBackends("ff-victim");
            Throwable first = catchThrowable(() -> await(victim.executions().readExecutionState(id)));

            assertThat(killed).as("terminated backends").isPositive();
            if (first != null) {
                LOG.info("SC-06 observation: the first operation after terminating the pool's backends"
                        + " failed with " + first);
                assertThat(first).isInstanceOfSatisfying(UnavailableException.class, u -> {
                    assertThat(u.kind()).isEqualTo(UnavailableException.Kind.TRANSPORT);
                    assertThat(u.retryable()).isTrue();
                });
            } else {
                LOG.info("SC-06 observation: the first operation after terminating the pool's backends"
                        + " succeeded (the pool revalidated its connections)");
            }
            Optional<PublicState> state = Optional.empty();
            for (int attempt = 0; attempt < 3 && state.isEmpty(); attempt++) {
                try {
                    state = await(victim.executions().readExecutionState(id));
                } catch (FlowFabricException e) {
                    assertThat(e.retryable()).as("failure after backend loss: %s", e).isTrue();
                }
            }
            assertThat(state).contains(PublicState.WAITING);
        }
    }
}
