package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Shared helpers of the reconciler integration tests: unique lanes, blocking shortcuts for the engine calls a
 * scenario needs as setup, manual ticks, and plain-SQL views of the stored rows (never through the engine), so that
 * assertions check what the database holds.
 */
final class ReconcileTestSupport {

    /** Upper bound for any single blocking call. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ReconcileTestSupport() {
    }

    /** Awaitility polling every 20 ms from the start, giving up after {@code atMost}. */
    static ConditionFactory within(Duration atMost) {
        return Awaitility.await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20));
    }

    static ClaimRequest claimRequest(String lane, String worker, @Nullable Duration leaseTtl) {
        return ClaimRequest.builder(worker, worker + "-instance").lane(lane).leaseTtl(leaseTtl).build();
    }

    /** Claims from {@code lane}; {@code null} when nothing is claimable. */
    static @Nullable ClaimedExecution tryClaim(FlowFabric engine, String lane, @Nullable Duration leaseTtl) {
        return await(engine.workers().claim(claimRequest(lane, "w", leaseTtl)));
    }

    /** Claims exactly one execution from {@code lane} (asserting one was claimed). */
    static ClaimedExecution claim(FlowFabric engine, String lane, @Nullable Duration leaseTtl) {
        ClaimedExecution claimed = tryClaim(engine, lane, leaseTtl);
        assertThat(claimed).as("a claim on lane %s", lane).isNotNull();
        return claimed;
    }

    /** Upper bound for one manual tick over a test's few rows; a tick that hangs fails the test with this name. */
    static final Duration TICK_TIMEOUT = Duration.ofSeconds(15);

    static TickReport tick(FlowFabric engine, String job) {
        TickReport report = engine.reconcilers().tick(job)
                .timeout(TICK_TIMEOUT, Mono.error(() -> new AssertionError("tick(\"" + job
                        + "\") did not complete within " + TICK_TIMEOUT)))
                .block(TIMEOUT);
        assertThat(report).as("tick report of %s", job).isNotNull();
        assertThat(report.job()).isEqualTo(job);
        return report;
    }

    // ------------------------------------------------------------------------------------------ plain SQL

    /** Selected columns of the execution row, by name (asserting the row exists). */
    static Map<String, Object> execRow(TestDatabase db, ExecutionId id, String columns) {
        List<Map<String, Object>> rows = db.queryRows("SELECT " + columns
                + " FROM flowfabric.ff_exec_core WHERE partition_key = ? AND execution_id = ?", id.partition(),
                id.uuid());
        assertThat(rows).as("execution row of %s", id).hasSize(1);
        return rows.get(0);
    }

    /** Selected columns of one attempt row, by name (asserting the row exists). */
    static Map<String, Object> attemptRow(TestDatabase db, ExecutionId id, int index, String columns) {
        List<Map<String, Object>> rows = db.queryRows("SELECT " + columns + " FROM flowfabric.ff_attempt"
                + " WHERE partition_key = ? AND execution_id = ? AND attempt_index = ?", id.partition(), id.uuid(),
                index);
        assertThat(rows).as("attempt %s of %s", index, id).hasSize(1);
        return rows.get(0);
    }

    static String publicState(TestDatabase db, ExecutionId id) {
        return (String) execRow(db, id, "public_state").get("public_state");
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

    static long attempts(TestDatabase db, ExecutionId id) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_attempt WHERE partition_key = ? AND execution_id = ?",
                id.partition(), id.uuid());
    }
}
