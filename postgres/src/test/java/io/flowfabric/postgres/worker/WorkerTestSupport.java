package io.flowfabric.postgres.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * Shared helpers of the worker-runtime integration tests: unique lane names, engine settings for tests that need the
 * background reconcilers, blocking setup shortcuts, and plain-SQL views of the stored rows (never through the
 * engine, so assertions do not depend on the code under test).
 */
final class WorkerTestSupport {

    /** Upper bound for any single blocking call and for any awaited condition in these tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private WorkerTestSupport() {
    }

    /**
     * Turns the background reconcilers on with short intervals: leases expire within 200 ms of their expiry and
     * retries are promoted within 100 ms of their backoff.
     */
    static void backgroundReconcilers(PostgresEngine.Builder builder) {
        builder.backgroundReconcilers(true)
                .reconcilerInterval("lease_expiry", Duration.ofMillis(200))
                .reconcilerInterval("delayed_promoter", Duration.ofMillis(100));
    }

    /** Awaitility with the generous timeout and a short poll, for conditions the runtime reaches asynchronously. */
    static ConditionFactory eventually() {
        return Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(25));
    }

    static ExecutionId create(FlowFabric engine, String lane, String kind, String input) {
        return EngineFixture.create(engine, CreateExecution.builder(lane).executionKind(kind).input(input).build());
    }

    // ------------------------------------------------------------------------------------------ plain SQL

    static String publicState(TestDatabase db, ExecutionId id) {
        return (String) execRow(db, id, "public_state").get("public_state");
    }

    /** Selected columns of the execution row, by name. */
    static Map<String, Object> execRow(TestDatabase db, ExecutionId id, String columns) {
        return single(db.queryRows("SELECT " + columns
                + " FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?",
                id.partition(), id.uuid()));
    }

    static long execLong(TestDatabase db, ExecutionId id, String column) {
        return db.queryLong("SELECT " + column
                + " FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?",
                id.partition(), id.uuid());
    }

    /** Selected columns of every attempt row of the execution, by attempt index. */
    static List<Map<String, Object>> attemptRows(TestDatabase db, ExecutionId id, String columns) {
        return db.queryRows("SELECT " + columns + " FROM flowfabric.ff_attempt"
                + " WHERE partition_key = ? AND execution_id = ? ORDER BY attempt_index", id.partition(), id.uuid());
    }

    static long completionEvents(TestDatabase db, ExecutionId id) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ?", id.partition(), id.uuid());
    }

    static long completionEvents(TestDatabase db, ExecutionId id, String outcome) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND execution_id = ? AND outcome = ?", id.partition(), id.uuid(), outcome);
    }

    static long leaseEvents(TestDatabase db, ExecutionId id, String type) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_lease_event"
                + " WHERE partition_key = ? AND execution_id = ? AND event_type = ?", id.partition(), id.uuid(), type);
    }

    static Map<String, Object> single(List<Map<String, Object>> rows) {
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }
}
