package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claimRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * RC-04 at scale: several engine nodes run the same job over the same due rows at the same time, with no leader;
 * skip-locked discovery must give every row to exactly one node.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiNodeLeaseExpiryTest {

    private static final Logger LOG = LoggerFactory.getLogger(MultiNodeLeaseExpiryTest.class);
    private static final int EXECUTIONS = 10_000;
    private static final int NODES = 3;

    private final List<PostgresEngine> nodes = new ArrayList<>();
    private TestDatabase db;
    private TestClock clock;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        this.clock = clock;
        for (int i = 0; i < NODES; i++) {
            String name = "rc04-node-" + i;
            // All nodes share one TestClock: they agree on the database clock as real nodes would.
            nodes.add(EngineFixture.start(db, clock, b -> b.poolSize(2, 8).applicationName(name)));
        }
    }

    @AfterAll
    void stop() {
        nodes.forEach(PostgresEngine::close);
    }

    /**
     * Creates {@code count} more executions as exact copies of the row {@code createExecution} wrote for
     * {@code template}, each with its own standalone id, in one statement: creating 10,000 executions one unit at a
     * time would dominate the test's run time without testing anything about reconcilers.
     */
    private void cloneExecutions(ExecutionId template, int count) {
        Integer[] partitions = new Integer[count];
        UUID[] ids = new UUID[count];
        for (int i = 0; i < count; i++) {
            ExecutionId id = ExecutionId.standalone();
            partitions[i] = id.partition();
            ids[i] = id.uuid();
        }
        List<String> columns = db.queryRows("""
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = 'flowfabric' AND table_name = 'ff_exec_core' AND is_generated = 'NEVER'
                  AND column_name NOT IN ('partition_key', 'execution_id')
                ORDER BY ordinal_position""").stream().map(r -> (String) r.get("column_name")).toList();
        String copied = String.join(", ", columns);
        try (Connection connection = db.openConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO flowfabric.ff_exec_core"
                     + " (partition_key, execution_id, " + copied + ")"
                     + " SELECT k.pk, k.id, " + copied.replaceAll("(\\w+)", "t.$1")
                     + " FROM unnest(?::int[], ?::uuid[]) AS k(pk, id), flowfabric.ff_exec_core t"
                     + " WHERE t.partition_key = ? AND t.execution_id = ?")) {
            insert.setArray(1, connection.createArrayOf("int4", partitions));
            insert.setArray(2, connection.createArrayOf("uuid", ids));
            insert.setInt(3, template.partition());
            insert.setObject(4, template.uuid());
            assertThat(insert.executeUpdate()).isEqualTo(count);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("RC-04 three nodes ticking lease_expiry concurrently over 10,000 expired leases handle each exactly once: 10,000 'expired' events, one per execution, all waiting/reclaimable")
    void threeNodesHandleEachRowOnce() {
        String lane = lane("rc04");
        long t0 = System.nanoTime();
        cloneExecutions(create(nodes.get(0), lane), EXECUTIONS - 1);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND public_state = 'waiting'", lane)).isEqualTo(EXECUTIONS);
        long t1 = System.nanoTime();
        long claimed = Flux.range(0, EXECUTIONS / 100)
                .flatMap(i -> nodes.get(i % NODES).workers()
                        .claimBatch(claimRequest(lane, "w" + i, Duration.ofSeconds(1)), 100), NODES)
                .count().block(Duration.ofSeconds(60));
        assertThat(claimed).isEqualTo(EXECUTIONS);
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core WHERE lane_id = ?"
                + " AND lifecycle_phase = 'active'", lane)).isEqualTo(EXECUTIONS);

        long t2 = System.nanoTime();
        clock.advance(Duration.ofSeconds(5));
        int[] actedPerNode = new int[NODES];
        int errors = 0;
        int rounds = 0;
        while (true) {
            rounds++;
            List<Mono<TickReport>> ticks = new ArrayList<>();
            for (PostgresEngine node : nodes) {
                ticks.add(node.reconcilers().tick("lease_expiry"));
            }
            // zip subscribes to the three ticks at once: the nodes run them concurrently.
            List<TickReport> reports = Mono.zip(ticks, all -> Arrays.stream(all)
                    .map(TickReport.class::cast).toList()).block(Duration.ofSeconds(60));
            int scanned = 0;
            for (int n = 0; n < NODES; n++) {
                actedPerNode[n] += reports.get(n).acted();
                errors += reports.get(n).errors();
                scanned += reports.get(n).scanned();
            }
            if (scanned == 0) {
                break;
            }
            assertThat(rounds).as("ticks keep finding work").isLessThan(50);
        }
        long t3 = System.nanoTime();
        LOG.info("RC-04: {} rounds; acted per node {}; create {} ms, claim {} ms, ticks {} ms", rounds,
                Arrays.toString(actedPerNode), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                (t3 - t2) / 1_000_000);

        assertThat(errors).isZero();
        assertThat(actedPerNode[0] + actedPerNode[1] + actedPerNode[2]).isEqualTo(EXECUTIONS);
        assertThat(db.queryLong("""
                SELECT count(*) FROM flowfabric.ff_lease_event l
                JOIN flowfabric.ff_exec_core e ON e.partition_key = l.partition_key AND e.execution_id = l.execution_id
                WHERE e.lane_id = ? AND l.event_type = 'expired'""", lane)).isEqualTo(EXECUTIONS);
        assertThat(db.queryLong("""
                SELECT count(*) FROM (
                  SELECT l.partition_key, l.execution_id FROM flowfabric.ff_lease_event l
                  JOIN flowfabric.ff_exec_core e
                    ON e.partition_key = l.partition_key AND e.execution_id = l.execution_id
                  WHERE e.lane_id = ? AND l.event_type = 'expired'
                  GROUP BY l.partition_key, l.execution_id HAVING count(*) = 1) once""", lane))
                .as("executions with exactly one expired event").isEqualTo(EXECUTIONS);
        assertThat(db.queryRows("""
                SELECT public_state, ownership_state, lease_epoch, count(*) AS n FROM flowfabric.ff_exec_core
                WHERE lane_id = ? GROUP BY public_state, ownership_state, lease_epoch""", lane))
                .containsExactly(Map.of("public_state", "waiting", "ownership_state", "lease_expired_reclaimable",
                        "lease_epoch", 2L, "n", (long) EXECUTIONS));
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_attempt a JOIN flowfabric.ff_exec_core e"
                + " ON e.partition_key = a.partition_key AND e.execution_id = a.execution_id"
                + " WHERE e.lane_id = ? AND a.attempt_lifecycle = 'interrupted_reclaimed'"
                + " AND a.end_reason = 'lease_expired'", lane)).isEqualTo(EXECUTIONS);
    }
}
