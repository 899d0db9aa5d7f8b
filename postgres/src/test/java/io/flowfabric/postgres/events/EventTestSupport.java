package io.flowfabric.postgres.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import reactor.core.publisher.Mono;

/**
 * Helpers of the subscription and listener integration tests: unique names, engines with their own
 * {@code application_name} (so a test can cut exactly one engine's listener), cursors and outbox rows read or
 * written through plain JDBC (never through the engine), and a raw JDBC LISTEN client.
 */
final class EventTestSupport {

    /** Upper bound for any single blocking call in these tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** The completion channel of schema {@code flowfabric} (spec 04 §2), computed independently of the engine. */
    static final String COMPLETION_CHANNEL = "ff_" + crc32Hex("flowfabric") + "_completion";

    /** The lease channel of schema {@code flowfabric}. */
    static final String LEASE_CHANNEL = "ff_" + crc32Hex("flowfabric") + "_lease";
    /** The flow-completion channel, which every engine listens on (its completion dispatcher's wake-up). */
    static final String FLOW_COMPLETION_CHANNEL = "ff_" + crc32Hex("flowfabric") + "_flowdone";

    private EventTestSupport() {
    }

    /** A name no other test uses: {@code prefix-<8 hex>}; valid as a lane, namespace and application name. */
    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A started engine whose pool connections are named {@code appName}, its listener {@code appName-listener}. */
    static PostgresEngine engine(TestDatabase db, TestClock clock, String appName) {
        return engine(db, clock, appName, b -> { });
    }

    static PostgresEngine engine(TestDatabase db, TestClock clock, String appName,
                                 Consumer<PostgresEngine.Builder> more) {
        return EngineFixture.start(db, clock, b -> {
            b.applicationName(appName);
            more.accept(b);
        });
    }

    /** Creates a ready execution in {@code namespace} and {@code lane}. */
    static Mono<ExecutionId> create(FlowFabric engine, String namespace, String lane) {
        return engine.executions().createExecution(CreateExecution.builder(lane).namespace(namespace).build())
                .map(CreateResult::executionId);
    }

    /** Creates an execution and cancels it as an operator: exactly one completion event, outcome cancelled. */
    static Mono<ExecutionId> createAndCancel(FlowFabric engine, String namespace, String lane) {
        return create(engine, namespace, lane)
                .flatMap(id -> engine.operator().cancelExecution(id, "test", "tester").thenReturn(id));
    }

    static ClaimRequest claimRequest(String lane, String worker) {
        return ClaimRequest.builder(worker, worker + "-1").lane(lane).build();
    }

    /**
     * The "from now" position as the reader computes it: (H, 0) with H the oldest running transaction id in a fresh
     * snapshot. Every transaction that commits afterwards sorts after it.
     */
    static EventCursor nowCursor(TestDatabase db) {
        String horizon = (String) db.queryValue("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                .orElseThrow();
        return new EventCursor(Long.parseLong(horizon), 0);
    }

    /** The cursor of the single completion event of {@code id}, read with plain SQL. */
    static EventCursor completionCursor(TestDatabase db, ExecutionId id) {
        List<Map<String, Object>> rows = db.queryRows("SELECT tx_id::text AS tx, event_id FROM"
                + " flowfabric.ff_completion_event WHERE partition_key = ? AND execution_id = ?",
                id.partition(), id.uuid());
        assertThat(rows).as("completion events of %s", id).hasSize(1);
        return new EventCursor(Long.parseLong((String) rows.get(0).get("tx")), (Long) rows.get(0).get("event_id"));
    }

    /**
     * Commits one completion event written directly with JDBC (no engine involved), optionally with a
     * {@code pg_notify} on the completion channel in the same transaction.
     */
    static ExecutionId insertCompletion(TestDatabase db, String namespace, boolean notify) {
        ExecutionId id = randomId();
        insertCompletion(db, namespace, id, notify);
        return id;
    }

    /** {@link #insertCompletion(TestDatabase, String, boolean)} for a given execution id. */
    static void insertCompletion(TestDatabase db, String namespace, ExecutionId id, boolean notify) {
        try (Connection c = db.openConnection()) {
            c.setAutoCommit(false);
            insertCompletion(c, namespace, id);
            if (notify) {
                notify(c, COMPLETION_CHANNEL);
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An execution id in a random partition. */
    static ExecutionId randomId() {
        return ExecutionId.of(ThreadLocalRandom.current().nextInt(256), UUID.randomUUID());
    }

    /**
     * Commits {@code count} completion events over one JDBC connection, one per transaction, each with its NOTIFY:
     * many small racing commits, as a busy writer produces them.
     */
    static List<ExecutionId> commitCompletionsOneByOne(TestDatabase db, String namespace, int count) {
        List<ExecutionId> ids = new ArrayList<>(count);
        try (Connection c = db.openConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < count; i++) {
                ExecutionId id = randomId();
                insertCompletion(c, namespace, id);
                notify(c, COMPLETION_CHANNEL);
                c.commit();
                ids.add(id);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    /** Inserts one completion event (outcome success) in the connection's current transaction. */
    static void insertCompletion(Connection c, String namespace, ExecutionId id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO flowfabric.ff_completion_event"
                + " (partition_key, occurred_at_ms, namespace, execution_id, outcome)"
                + " VALUES (?, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, ?, ?, 'success')")) {
            ps.setShort(1, (short) id.partition());
            ps.setString(2, namespace);
            ps.setObject(3, id.uuid());
            ps.executeUpdate();
        }
    }

    /**
     * Commits {@code rows} completion events (outcome success, random executions) in one JDBC transaction with one
     * NOTIFY: a cheap producer for tests about the reader rather than the writer.
     */
    static void insertCompletions(TestDatabase db, String namespace, int rows) {
        bulkInsert(db, COMPLETION_CHANNEL, "INSERT INTO flowfabric.ff_completion_event"
                + " (partition_key, occurred_at_ms, namespace, execution_id, outcome)"
                + " SELECT g % 256, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, ?, gen_random_uuid(),"
                + " 'success' FROM generate_series(1, ?) AS g", namespace, rows);
    }

    /** Commits {@code rows} {@code acquired} lease events in one JDBC transaction with one NOTIFY. */
    static void insertLeaseEvents(TestDatabase db, String namespace, int rows) {
        bulkInsert(db, LEASE_CHANNEL, "INSERT INTO flowfabric.ff_lease_event (partition_key, occurred_at_ms,"
                + " namespace, execution_id, attempt_index, lease_epoch, event_type, lease_fingerprint)"
                + " SELECT g % 256, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, ?, gen_random_uuid(), 0, 1,"
                + " 'acquired', lpad(to_hex(g), 16, '0') FROM generate_series(1, ?) AS g", namespace, rows);
    }

    private static void bulkInsert(TestDatabase db, String channel, String sql, String namespace, int rows) {
        try (Connection c = db.openConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, namespace);
                ps.setInt(2, rows);
                assertThat(ps.executeUpdate()).isEqualTo(rows);
            }
            notify(c, channel);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static void notify(Connection c, String channel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
            ps.setString(1, channel);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    private static String crc32Hex(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    /** A JDBC session LISTENing on one channel, as any other client of the database would. */
    static final class RawListener implements AutoCloseable {
        private final Connection connection;
        private final String channel;

        RawListener(TestDatabase db, String channel) {
            this.connection = db.openConnection();
            this.channel = channel;
            try (Statement statement = connection.createStatement()) {
                statement.execute("LISTEN \"" + channel + "\"");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** How many notifications on the channel arrive within {@code window} (waits the whole window). */
        int countWithin(Duration window) {
            long deadline = System.nanoTime() + window.toNanos();
            int count = 0;
            try {
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (true) {
                    long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                    if (leftMs <= 0) {
                        return count;
                    }
                    PGNotification[] got = pg.getNotifications((int) leftMs);
                    if (got != null) {
                        for (PGNotification n : got) {
                            if (channel.equals(n.getName())) {
                                count++;
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
