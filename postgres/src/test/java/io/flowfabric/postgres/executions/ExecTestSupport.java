package io.flowfabric.postgres.executions;

import static io.flowfabric.postgres.EngineFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.AttemptState;
import io.flowfabric.core.state.BlockingReason;
import io.flowfabric.core.state.EligibilityState;
import io.flowfabric.core.state.LifecyclePhase;
import io.flowfabric.core.state.OwnershipState;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.PublicStates;
import io.flowfabric.core.state.StateVector;
import io.flowfabric.core.state.StateVectors;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import reactor.core.publisher.Flux;

/**
 * Shared helpers of the execution-lifecycle integration tests: unique lane names, blocking shortcuts for the engine
 * calls a scenario needs as setup, and plain-SQL views of the stored rows (never through the engine).
 */
final class ExecTestSupport {

    /** Upper bound for any single blocking call in these tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Every table a create, claim or lease-holder operation may write, checked by "nothing written" assertions. */
    static final List<String> WRITTEN_TABLES = List.of("ff_exec_core", "ff_idempotency", "ff_attempt", "ff_lane",
            "ff_completion_event", "ff_lease_event", "ff_operator_event", "ff_signal_event");

    private ExecTestSupport() {
    }

    static <T> List<T> awaitAll(Flux<T> flux) {
        return flux.collectList().block(TIMEOUT);
    }

    static ClaimRequest claimRequest(String lane, String worker) {
        return ClaimRequest.builder(worker, worker + "-instance").lane(lane).build();
    }

    static ClaimRequest claimRequest(String lane, String worker, Duration leaseTtl) {
        return ClaimRequest.builder(worker, worker + "-instance").lane(lane).leaseTtl(leaseTtl).build();
    }

    /** Claims exactly one execution from {@code lane} (asserting one was claimed). */
    static ClaimedExecution claim(FlowFabric engine, String lane, String worker) {
        ClaimedExecution claimed = await(engine.workers().claim(claimRequest(lane, worker)));
        assertThat(claimed).as("a claim on lane %s", lane).isNotNull();
        return claimed;
    }

    static ClaimedExecution claim(FlowFabric engine, ClaimRequest request) {
        ClaimedExecution claimed = await(engine.workers().claim(request));
        assertThat(claimed).as("a claim on lanes %s", request.lanes()).isNotNull();
        return claimed;
    }

    // ------------------------------------------------------------------------------------------ plain SQL

    /** The six stored state fields followed by {@code public_state}, read through plain SQL. */
    static List<String> vector(TestDatabase db, ExecutionId id) {
        Map<String, Object> row = single(db.queryRows("""
                SELECT lifecycle_phase, ownership_state, eligibility_state, blocking_reason, attempt_state,
                       terminal_outcome, public_state
                FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?""",
                id.partition(), id.uuid()));
        List<String> values = new ArrayList<>();
        row.values().forEach(v -> values.add((String) v));
        return values;
    }

    /** The stored vector of an execution as the core model's record, parsed from the canonical literals. */
    static StateVector storedVector(TestDatabase db, ExecutionId id) {
        return toVector(execRow(db, id, VECTOR_COLUMNS));
    }

    private static final String VECTOR_COLUMNS = "lifecycle_phase, ownership_state, eligibility_state,"
            + " blocking_reason, attempt_state, terminal_outcome, public_state";

    private static StateVector toVector(Map<String, Object> row) {
        return new StateVector(LifecyclePhase.fromLiteral((String) row.get("lifecycle_phase")),
                OwnershipState.fromLiteral((String) row.get("ownership_state")),
                EligibilityState.fromLiteral((String) row.get("eligibility_state")),
                BlockingReason.fromLiteral((String) row.get("blocking_reason")),
                AttemptState.fromLiteral((String) row.get("attempt_state")),
                TerminalOutcome.fromLiteral((String) row.get("terminal_outcome")));
    }

    /**
     * Spec 01 §5: every execution row in the database holds canonical literals only, one of the vectors of §5.2,
     * and a {@code public_state} equal to {@link PublicStates#derive}.
     *
     * @return how many rows were checked
     */
    static int assertAllRowsCanonical(TestDatabase db) {
        List<Map<String, Object>> rows = db.queryRows("SELECT execution_id, " + VECTOR_COLUMNS
                + " FROM flowfabric.ff_exec_core");
        for (Map<String, Object> row : rows) {
            StateVector vector = toVector(row);
            PublicState stored = PublicState.fromLiteral((String) row.get("public_state"));
            assertThat(stored).as("public_state of %s (%s)", row.get("execution_id"), vector)
                    .isEqualTo(PublicStates.derive(vector.lifecycle(), vector.ownership(), vector.eligibility(),
                            vector.attemptState(), vector.outcome()));
            assertThat(StateVectors.allWritten()).as("vector of %s", row.get("execution_id")).contains(vector);
        }
        return rows.size();
    }

    /** Selected columns of the execution row, by name. */
    static Map<String, Object> execRow(TestDatabase db, ExecutionId id, String columns) {
        return single(db.queryRows("SELECT " + columns
                + " FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?",
                id.partition(), id.uuid()));
    }

    /** Selected columns of one attempt row, by name. */
    static Map<String, Object> attemptRow(TestDatabase db, ExecutionId id, int index, String columns) {
        return single(db.queryRows("SELECT " + columns + " FROM flowfabric.ff_attempt"
                + " WHERE partition_key = ? AND execution_id = ? AND attempt_index = ?",
                id.partition(), id.uuid(), index));
    }

    /** The whole execution row as PostgreSQL's row text, for "nothing changed" comparisons. */
    static String execText(TestDatabase db, ExecutionId id) {
        return (String) db.queryValue("SELECT t::text FROM flowfabric.ff_exec_core t"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid()).orElseThrow();
    }

    /** The whole attempt row as PostgreSQL's row text. */
    static String attemptText(TestDatabase db, ExecutionId id, int index) {
        return (String) db.queryValue("SELECT t::text FROM flowfabric.ff_attempt t"
                + " WHERE partition_key = ? AND execution_id = ? AND attempt_index = ?", id.partition(), id.uuid(),
                index).orElseThrow();
    }

    static long execCount(TestDatabase db, ExecutionId id) {
        return countFor(db, "ff_exec_core", id);
    }

    static long attemptCount(TestDatabase db, ExecutionId id) {
        return countFor(db, "ff_attempt", id);
    }

    static long completionEvents(TestDatabase db, ExecutionId id) {
        return countFor(db, "ff_completion_event", id);
    }

    static long completionEvents(TestDatabase db, ExecutionId id, String outcome) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ? AND outcome = ?", id.partition(), id.uuid(), outcome);
    }

    static long leaseEvents(TestDatabase db, ExecutionId id) {
        return countFor(db, "ff_lease_event", id);
    }

    static long leaseEvents(TestDatabase db, ExecutionId id, String type) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event"
                + " WHERE partition_key = ? AND execution_id = ? AND event_type = ?", id.partition(), id.uuid(), type);
    }

    static long operatorEvents(TestDatabase db, ExecutionId id, String type) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_operator_event"
                + " WHERE subject_kind = 'execution' AND subject_id = ? AND event_type = ?", id.toString(), type);
    }

    static long operatorEvents(TestDatabase db, ExecutionId id) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_operator_event"
                + " WHERE subject_kind = 'execution' AND subject_id = ?", id.toString());
    }

    private static long countFor(TestDatabase db, String table, ExecutionId id) {
        return db.queryLong("SELECT count(*) FROM flowfabric." + table
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid());
    }

    private static Map<String, Object> single(List<Map<String, Object>> rows) {
        assertThat(rows).as("rows").hasSize(1);
        return rows.get(0);
    }

    /**
     * Row counts of every table in {@link #WRITTEN_TABLES}, plus a content fingerprint of the execution and attempt
     * tables, so that an in-place update is detected as well as an insert.
     */
    static Map<String, Object> tableState(TestDatabase db) {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (String table : WRITTEN_TABLES) {
            sql.append("(SELECT count(*) FROM flowfabric.").append(table).append(") AS ").append(table).append(", ");
        }
        sql.append("(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.partition_key, t.execution_id), ''))"
                + " FROM flowfabric.ff_exec_core t) AS exec_core_md5, ");
        sql.append("(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.partition_key, t.execution_id,"
                + " t.attempt_index), '')) FROM flowfabric.ff_attempt t) AS attempt_md5");
        return new LinkedHashMap<>(single(db.queryRows(sql.toString())));
    }

    // ------------------------------------------------------------------------------------------ notifications

    /** The ready channel of {@code lane} in schema {@code flowfabric}, computed from spec 04 §2. */
    static String readyChannel(String lane) {
        return "ff_" + crc32Hex("flowfabric") + "_ready_" + crc32Hex(lane);
    }

    private static String crc32Hex(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    /** A JDBC session LISTENing on one channel; collects what arrives. */
    static final class Listener implements AutoCloseable {
        private final Connection connection;
        private final String channel;

        Listener(TestDatabase db, String channel) {
            this.connection = db.openConnection();
            this.channel = Objects.requireNonNull(channel);
            try (Statement statement = connection.createStatement()) {
                statement.execute("LISTEN \"" + channel + "\"");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Notifications on the channel that arrive within {@code window}. */
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
