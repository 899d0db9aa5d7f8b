package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.Partitions;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * RC-09: after retention, {@code dedup_pruning} removes expired dedup rows and {@code outbox_pruning} removes the
 * prefix of each outbox that is older than the outbox retention, stopping at the first undispatched completion event,
 * and records the last deleted cursor as the outbox's watermark.
 */
@FlowFabricPostgres
class PruningTest {

    /** One outbox row: its cursor, the execution it belongs to. */
    private record Row(long txId, long eventId, UUID executionId) {
        static final Comparator<Row> CURSOR_ORDER = Comparator.<Row, Long>comparing(Row::txId, Long::compareUnsigned)
                .thenComparing(Row::eventId);
    }

    private static List<Row> rows(TestDatabase db, String table) {
        return db.queryRows("SELECT tx_id::text AS tx, event_id, execution_id FROM flowfabric." + table).stream()
                .map(r -> new Row(Long.parseUnsignedLong((String) r.get("tx")), (Long) r.get("event_id"),
                        (UUID) r.get("execution_id")))
                .sorted(Row.CURSOR_ORDER).toList();
    }

    private static Row watermark(TestDatabase db, String table) {
        var row = db.queryRows("SELECT tx_id::text AS tx, event_id FROM flowfabric.ff_outbox_watermark"
                + " WHERE outbox_table = ?", table).get(0);
        return new Row(Long.parseUnsignedLong((String) row.get("tx")), (Long) row.get("event_id"), null);
    }

    private static long idempotencyRows(TestDatabase db, String key) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_idempotency WHERE partition_key = ?"
                + " AND namespace = 'default' AND idempotency_key = ?", Partitions.ofIdempotencyKey("default", key),
                key);
    }

    private static ExecutionId completed(PostgresEngine engine, String lane, String idempotencyKey) {
        ExecutionId id = create(engine, CreateExecution.builder(lane).idempotencyKey(idempotencyKey).build());
        ClaimedExecution claimed = claim(engine, lane, null);
        assertThat(claimed.executionId()).isEqualTo(id);
        await(engine.workers().complete(claimed.fence(), null, null));
        return id;
    }

    @Test
    @DisplayName("RC-09 dedup_pruning removes expired dedup rows; outbox_pruning removes dispatched completion and lease events older than 7 days up to the first undispatched one, keeps the rest, and the watermark is the last deleted cursor")
    void dedupAndOutboxPruning(TestDatabase db, TestClock clock) {
        try (PostgresEngine engine = EngineFixture.start(db, clock,
                b -> b.retention(Duration.ofDays(7), Duration.ofDays(7), Duration.ofDays(30)))) {
            String lane = lane("rc09");
            String run = UUID.randomUUID().toString().substring(0, 8);

            // Day 0: A and B end, an undispatched completion event U (claimed by a node that died), then C ends.
            ExecutionId a = completed(engine, lane, "a-" + run);
            ExecutionId b = completed(engine, lane, "b-" + run);
            UUID undispatched = UUID.randomUUID();
            db.execute("INSERT INTO flowfabric.ff_completion_event (partition_key, occurred_at_ms, namespace,"
                    + " execution_id, flow_id, outcome, dispatched_at_ms, dispatch_claimed_until_ms)"
                    + " VALUES (?, flowfabric.now_ms(), 'default', ?, ?, 'success', NULL, 9000000000000)",
                    Partitions.ofUuid(undispatched), undispatched, UUID.randomUUID());
            ExecutionId c = completed(engine, lane, "c-" + run);
            // W stays waiting: retention keeps it, but its idempotency key expires after the default 24 h.
            ExecutionId w = create(engine, CreateExecution.builder(lane("rc09-idle")).idempotencyKey("w-" + run)
                    .build());
            UUID signalled = UUID.randomUUID();
            db.execute("INSERT INTO flowfabric.ff_signal_dedup (partition_key, execution_id, idempotency_key,"
                    + " signal_id, expires_at_ms) VALUES (?, ?, 'expired', ?, flowfabric.now_ms() + 60000),"
                    + " (?, ?, 'live', ?, flowfabric.now_ms() + 30 * 86400000::bigint)", 7, signalled,
                    UUID.randomUUID(), 7, signalled, UUID.randomUUID());

            // Day 8: D ends now, young.
            clock.advance(Duration.ofDays(8));
            ExecutionId d = completed(engine, lane, "d-" + run);

            TickReport retention = tick(engine, "retention");
            assertThat(retention.errors()).isZero();
            for (ExecutionId gone : List.of(a, b, c)) {
                assertThat(await(engine.executions().readExecutionState(gone))).as("%s after retention", gone)
                        .isEmpty();
            }
            assertThat(idempotencyRows(db, "a-" + run)).as("retention deleted the key naming A").isZero();
            assertThat(idempotencyRows(db, "w-" + run)).isEqualTo(1);
            assertThat(idempotencyRows(db, "d-" + run)).isEqualTo(1);

            TickReport dedup = tick(engine, "dedup_pruning");

            assertThat(dedup.errors()).isZero();
            assertThat(idempotencyRows(db, "w-" + run)).as("expired key of a live execution").isZero();
            assertThat(await(engine.executions().readExecutionState(w))).as("the execution itself stays").isPresent();
            assertThat(idempotencyRows(db, "d-" + run)).as("unexpired key").isEqualTo(1);
            assertThat(db.queryRows("SELECT idempotency_key FROM flowfabric.ff_signal_dedup WHERE execution_id = ?",
                    signalled)).extracting(r -> r.get("idempotency_key")).containsExactly("live");

            List<Row> completionsBefore = rows(db, "ff_completion_event");
            List<Row> leasesBefore = rows(db, "ff_lease_event");
            Set<UUID> old = Set.of(a.uuid(), b.uuid(), c.uuid());
            assertThat(completionsBefore).extracting(Row::executionId)
                    .containsExactly(a.uuid(), b.uuid(), undispatched, c.uuid(), d.uuid());

            TickReport outbox = tick(engine, "outbox_pruning");

            assertThat(outbox.errors()).isZero();
            List<Row> completionsAfter = rows(db, "ff_completion_event");
            assertThat(completionsAfter).extracting(Row::executionId)
                    .as("A and B pruned; U undispatched blocks C; D is young")
                    .containsExactly(undispatched, c.uuid(), d.uuid());
            assertThat(watermark(db, "ff_completion_event")).usingRecursiveComparison().ignoringFields("executionId")
                    .isEqualTo(completionsBefore.get(1));

            List<Row> leasesAfter = rows(db, "ff_lease_event");
            List<Row> leasesDeleted = leasesBefore.stream().filter(r -> !leasesAfter.contains(r)).toList();
            assertThat(leasesDeleted).as("every old lease event (acquired, released of A, B, C) and only those")
                    .hasSize(6).allSatisfy(r -> assertThat(old).contains(r.executionId()));
            assertThat(leasesAfter).extracting(Row::executionId).containsOnly(d.uuid());
            Row leaseMark = watermark(db, "ff_lease_event");
            assertThat(leaseMark).usingRecursiveComparison().ignoringFields("executionId")
                    .isEqualTo(leasesDeleted.get(leasesDeleted.size() - 1));
            assertThat(leasesAfter).allSatisfy(r -> assertThat(Row.CURSOR_ORDER.compare(r, leaseMark))
                    .as("rows left are above the watermark").isPositive());

            // Idempotent: a second tick has nothing more to prune and leaves the watermarks alone.
            tick(engine, "outbox_pruning");
            assertThat(rows(db, "ff_completion_event")).isEqualTo(completionsAfter);
            assertThat(watermark(db, "ff_lease_event")).usingRecursiveComparison().isEqualTo(leaseMark);
        }
    }
}
