package io.flowfabric.postgres.reconcile;

import static io.flowfabric.postgres.EngineFixture.await;
import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.claim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.publicState;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tick;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.tryClaim;
import static io.flowfabric.postgres.reconcile.ReconcileTestSupport.within;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.id.Partitions;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * RC-08 (retention across every table of spec 08 §3) and RC-10 (the flow-summary projector). Rows the API cannot
 * produce yet (streams, signals, suspensions, grants, dependency inputs, sibling cancels, quota admissions, budget
 * spend) are inserted with plain SQL, keyed like the engine keys them.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetentionTest {

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

    /** An execution's identity plus the keys of its rows that live on other partitions. */
    private record Victim(ExecutionId id, UUID quotaPolicy, UUID budget) {
    }

    /**
     * Inserts one row into every dependent table of 08 §3 that the API does not fill yet, and points the execution
     * at a quota policy and a budget so that its admission and spend rows (on their own partitions) are covered.
     */
    private Victim seedDependents(ExecutionId id) {
        int pk = id.partition();
        UUID exec = id.uuid();
        UUID quota = UUID.randomUUID();
        UUID budget = UUID.randomUUID();
        db.execute("UPDATE flowfabric.ff_exec_core SET quota_policy_id = ?, budget_ids = ARRAY[?]::uuid[]"
                + " WHERE partition_key = ? AND execution_id = ?", quota, budget, pk, exec);
        db.execute("INSERT INTO flowfabric.ff_stream_meta (partition_key, execution_id, attempt_index, next_seq,"
                + " last_ts_ms, frame_count) VALUES (?, ?, 0, 2, 1, 1)", pk, exec);
        db.execute("INSERT INTO flowfabric.ff_stream_frame (partition_key, execution_id, attempt_index, seq, ts_ms,"
                + " mode, frame_type, encoding, payload) VALUES (?, ?, 0, 1, 1, 'durable', 'log', 'text',"
                + " '\\x6869'::bytea)", pk, exec);
        db.execute("INSERT INTO flowfabric.ff_stream_summary (partition_key, execution_id, attempt_index, document,"
                + " version, patch_kind, first_applied_ms, last_updated_ms)"
                + " VALUES (?, ?, 0, '{}'::jsonb, 1, 'json-merge-patch', 1, 1)", pk, exec);
        db.execute("INSERT INTO flowfabric.ff_suspension (partition_key, execution_id, suspension_id, attempt_index,"
                + " suspended_at_ms, timeout_behavior, reason, condition)"
                + " VALUES (?, ?, ?, 0, 1, 'fail', 'signal', '{}'::jsonb)", pk, exec, UUID.randomUUID());
        db.execute("INSERT INTO flowfabric.ff_waitpoint (partition_key, waitpoint_id, execution_id, waitpoint_key,"
                + " state, token_kid, created_at_ms, closed_at_ms, closed_reason)"
                + " VALUES (?, ?, ?, 'wp', 'closed', 'kid-1', 1, 2, 'cancelled')", pk, UUID.randomUUID(), exec);
        UUID signal = UUID.randomUUID();
        db.execute("INSERT INTO flowfabric.ff_signal (partition_key, execution_id, signal_id, signal_name, category,"
                + " accepted_at_ms, effect) VALUES (?, ?, ?, 'approve', 'user', 1, 'buffered')", pk, exec, signal);
        db.execute("INSERT INTO flowfabric.ff_signal_dedup (partition_key, execution_id, idempotency_key, signal_id,"
                + " expires_at_ms) VALUES (?, ?, 'sig-key', ?, 9000000000000)", pk, exec, signal);
        db.execute("INSERT INTO flowfabric.ff_suspend_dedup (partition_key, execution_id, idempotency_key,"
                + " fence_attempt_index, fence_lease_epoch, fence_lease_id, outcome, expires_at_ms)"
                + " VALUES (?, ?, 'susp-key', 0, 1, ?, '{}'::jsonb, 9000000000000)", pk, exec, UUID.randomUUID());
        db.execute("INSERT INTO flowfabric.ff_claim_grant (partition_key, grant_id, kind, execution_id, worker_id,"
                + " worker_instance_id, lane_id, kid, issued_at_ms, expires_at_ms)"
                + " VALUES (?, sha256(convert_to(?, 'UTF8')), 'claim', ?, 'w', 'w-1', 'l', 'kid-1', 1, 9000000000000)",
                pk, exec.toString(), exec);
        db.execute("INSERT INTO flowfabric.ff_dependency_input (partition_key, downstream_id, ref, upstream_id,"
                + " payload, copied_at_ms) VALUES (?, ?, 'input', ?, '\\x00'::bytea, 1)", pk, exec, UUID.randomUUID());
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog_member (partition_key, flow_id, execution_id)"
                + " VALUES (?, ?, ?)", pk, UUID.randomUUID(), exec);
        db.execute("INSERT INTO flowfabric.ff_sibling_cancel (partition_key, flow_id, downstream_id, target_id,"
                + " reason, enqueued_at_ms) VALUES (?, ?, ?, ?, 'sibling_quorum_satisfied', 1)",
                pk, UUID.randomUUID(), UUID.randomUUID(), exec);
        db.execute("INSERT INTO flowfabric.ff_quota_admission (partition_key, quota_policy_id, execution_id,"
                + " admitted_at_ms, expires_at_ms) VALUES (?, ?, ?, 1, 9000000000000)",
                Partitions.ofUuid(quota), quota, exec);
        db.execute("INSERT INTO flowfabric.ff_budget_spend (partition_key, budget_id, execution_id, dimension,"
                + " amount) VALUES (?, ?, ?, 'tokens', 5)", Partitions.ofUuid(budget), budget, exec);
        return new Victim(id, quota, budget);
    }

    /** Rows of the victim in every table of the first column of 08 §3, by table. */
    private Map<String, Long> rowsOf(Victim v, String namespace, @Nullable String idempotencyKey) {
        int pk = v.id().partition();
        UUID exec = v.id().uuid();
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : List.of("ff_exec_core", "ff_attempt", "ff_stream_frame", "ff_stream_meta",
                "ff_stream_summary", "ff_suspension", "ff_waitpoint", "ff_signal", "ff_signal_dedup",
                "ff_suspend_dedup", "ff_claim_grant", "ff_cancel_backlog_member")) {
            counts.put(table, db.queryLong("SELECT count(*) FROM flowfabric." + table
                    + " WHERE partition_key = ? AND execution_id = ?", pk, exec));
        }
        counts.put("ff_dependency_input", db.queryLong("SELECT count(*) FROM flowfabric.ff_dependency_input"
                + " WHERE partition_key = ? AND downstream_id = ?", pk, exec));
        counts.put("ff_sibling_cancel", db.queryLong("SELECT count(*) FROM flowfabric.ff_sibling_cancel"
                + " WHERE partition_key = ? AND target_id = ?", pk, exec));
        counts.put("ff_quota_admission", db.queryLong("SELECT count(*) FROM flowfabric.ff_quota_admission"
                + " WHERE partition_key = ? AND quota_policy_id = ? AND execution_id = ?",
                Partitions.ofUuid(v.quotaPolicy()), v.quotaPolicy(), exec));
        counts.put("ff_budget_spend", db.queryLong("SELECT count(*) FROM flowfabric.ff_budget_spend"
                + " WHERE partition_key = ? AND budget_id = ? AND execution_id = ?",
                Partitions.ofUuid(v.budget()), v.budget(), exec));
        if (idempotencyKey != null) {
            counts.put("ff_idempotency", db.queryLong("SELECT count(*) FROM flowfabric.ff_idempotency"
                    + " WHERE partition_key = ? AND namespace = ? AND idempotency_key = ?",
                    Partitions.ofIdempotencyKey(namespace, idempotencyKey), namespace, idempotencyKey));
        }
        return counts;
    }

    private Map<String, Long> flowRows(FlowId flow) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : List.of("ff_flow_core", "ff_edge", "ff_edge_group", "ff_flow_summary", "ff_flow_dirty",
                "ff_cancel_backlog", "ff_cancel_backlog_member", "ff_sibling_cancel", "ff_exec_core")) {
            counts.put(table, db.queryLong("SELECT count(*) FROM flowfabric." + table
                    + " WHERE partition_key = ? AND flow_id = ?", flow.partition(), flow.uuid()));
        }
        return counts;
    }

    /** A cancelled standalone execution with an idempotency key, an attempt, lease and completion events. */
    private ExecutionId cancelledStandalone(String lane, String idempotencyKey) {
        ExecutionId id = create(engine, CreateExecution.builder(lane)
                .idempotencyKey(idempotencyKey, Duration.ofDays(30)).build());
        assertThat(claim(engine, lane, null).executionId()).isEqualTo(id);
        await(engine.operator().cancelExecution(id, "no longer needed", "rc08"));
        assertThat(publicState(db, id)).isEqualTo("cancelled");
        return id;
    }

    @Test
    @DisplayName("RC-08 retention after 7 days deletes a standalone execution cancelled 8 days ago from every table of 08 §3, keeps one cancelled 6 days ago, and deletes a flow finished 8 days ago with its members, edges, groups, summary and backlog")
    void retentionCoversEveryTable() {
        String lane = lane("rc08");
        String keyOld = "rc08-old-" + UUID.randomUUID();
        String keyYoung = "rc08-young-" + UUID.randomUUID();

        // Day 0: the old standalone execution and a flow whose members all end now.
        ExecutionId old = cancelledStandalone(lane, keyOld);
        Victim oldVictim = seedDependents(old);
        FlowId flow = await(engine.flows().createFlow(CreateFlow.of("default", "rc08"))).flowId();
        String flowLane = lane("rc08-flow");
        ExecutionId upstream = create(engine, CreateExecution.builder(flowLane).flowId(flow).build());
        ExecutionId downstream = create(engine, CreateExecution.builder(flowLane).flowId(flow).dependsOn(upstream)
                .build());
        ClaimedExecution up = claim(engine, flowLane, null);
        assertThat(up.executionId()).isEqualTo(upstream);
        await(engine.workers().complete(up.fence(), null, null));
        ClaimedExecution[] down = new ClaimedExecution[1];
        within(Duration.ofSeconds(10)).until(() -> (down[0] = tryClaim(engine, flowLane, null)) != null);
        assertThat(down[0].executionId()).isEqualTo(downstream);
        await(engine.workers().complete(down[0].fence(), null, null));
        within(Duration.ofSeconds(10)).until(() -> db.queryLong("SELECT count(*) FROM flowfabric.ff_completion_event"
                + " WHERE partition_key = ? AND flow_id = ? AND dispatched_at_ms IS NULL", flow.partition(),
                flow.uuid()) == 0);
        Victim upVictim = seedDependents(upstream);
        Victim downVictim = seedDependents(downstream);
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog (partition_key, flow_id, policy, requested_at_ms,"
                + " grace_until_ms) VALUES (?, ?, 'cancel_all', 1, 9000000000000)", flow.partition(), flow.uuid());
        db.execute("INSERT INTO flowfabric.ff_cancel_backlog_member (partition_key, flow_id, execution_id)"
                + " VALUES (?, ?, ?)", flow.partition(), flow.uuid(), upstream.uuid());
        db.execute("INSERT INTO flowfabric.ff_sibling_cancel (partition_key, flow_id, downstream_id, target_id,"
                + " reason, enqueued_at_ms) VALUES (?, ?, ?, ?, 'sibling_quorum_satisfied', 1)",
                flow.partition(), flow.uuid(), downstream.uuid(), upstream.uuid());

        // Day 2: the young standalone execution.
        clock.advance(Duration.ofDays(2));
        ExecutionId young = cancelledStandalone(lane, keyYoung);
        Victim youngVictim = seedDependents(young);

        // Day 8.
        clock.advance(Duration.ofDays(6));
        Map<String, Long> oldBefore = rowsOf(oldVictim, "default", keyOld);
        assertThat(oldBefore).as("the old execution has a row in every dependent table").allSatisfy(
                (table, n) -> assertThat(n).as(table).isPositive());
        Map<String, Long> youngBefore = rowsOf(youngVictim, "default", keyYoung);
        assertThat(youngBefore).allSatisfy((table, n) -> assertThat(n).as(table).isPositive());
        Map<String, Long> flowBefore = flowRows(flow);
        assertThat(flowBefore).as("the flow's rows before its summary exists")
                .containsEntry("ff_flow_summary", 0L).containsEntry("ff_exec_core", 2L)
                .allSatisfy((table, n) -> assertThat(n).as(table).isEqualTo(table.equals("ff_flow_summary") ? 0L
                        : table.equals("ff_exec_core") ? 2L : 1L));

        tick(engine, "flow_summary");
        assertThat(db.queryValue("SELECT derived_state FROM flowfabric.ff_flow_summary WHERE partition_key = ?"
                + " AND flow_id = ?", flow.partition(), flow.uuid())).contains("completed");
        assertThat(flowRows(flow)).as("the projector wrote the summary and cleared the dirty mark")
                .containsEntry("ff_flow_summary", 1L).containsEntry("ff_flow_dirty", 0L);
        TickReport report = tick(engine, "retention");

        assertThat(report.errors()).isZero();
        assertThat(report.acted()).as("the old execution and the flow").isGreaterThanOrEqualTo(2);
        assertThat(rowsOf(oldVictim, "default", keyOld)).as("old execution after retention")
                .allSatisfy((table, n) -> assertThat(n).as(table).isZero());
        assertThat(rowsOf(youngVictim, "default", keyYoung)).as("young execution after retention")
                .isEqualTo(youngBefore);
        assertThat(flowRows(flow)).as("flow after retention").allSatisfy((table, n) -> assertThat(n).as(table)
                .isZero());
        assertThat(rowsOf(upVictim, "default", null)).as("flow member %s", upstream)
                .allSatisfy((table, n) -> assertThat(n).as(table).isZero());
        assertThat(rowsOf(downVictim, "default", null)).as("flow member %s", downstream)
                .allSatisfy((table, n) -> assertThat(n).as(table).isZero());
        assertThat(await(engine.executions().readExecutionState(old))).isEmpty();
        assertThat(await(engine.flows().describeFlow(flow))).isEmpty();
        assertThat(await(engine.executions().readExecutionState(young))).isPresent();
    }

    @Test
    @DisplayName("RC-10 flow_summary: after a member completes the tick updates the counts and deletes the dirty row; when all members end with one failure the derived state is 'failed'")
    void flowSummaryProjection() {
        String lane = lane("rc10");
        FlowId flow = await(engine.flows().createFlow(CreateFlow.of("default", "rc10"))).flowId();
        ExecutionId first = create(engine, CreateExecution.builder(lane).flowId(flow).build());
        create(engine, CreateExecution.builder(lane).flowId(flow).build());
        create(engine, CreateExecution.builder(lane).flowId(flow).build());
        ClaimedExecution c1 = claim(engine, lane, null);
        assertThat(c1.executionId()).isEqualTo(first);
        await(engine.workers().complete(c1.fence(), null, null));
        assertThat(dirty(flow)).as("a terminal member marks its flow dirty").isEqualTo(1);

        tick(engine, "flow_summary");

        assertThat(dirty(flow)).isZero();
        assertThat(summary(flow)).containsEntry("completed_count", 1).containsEntry("waiting_count", 2)
                .containsEntry("failed_count", 0).containsEntry("derived_state", "open");

        await(engine.workers().complete(claim(engine, lane, null).fence(), null, null));
        await(engine.workers().fail(claim(engine, lane, null).fence(), FailureReason.of("boom"),
                FailureClass.PERMANENT));
        assertThat(dirty(flow)).isEqualTo(1);

        tick(engine, "flow_summary");

        assertThat(dirty(flow)).isZero();
        Map<String, Object> done = summary(flow);
        assertThat(done).containsEntry("completed_count", 2).containsEntry("failed_count", 1)
                .containsEntry("waiting_count", 0).containsEntry("active_count", 0)
                .containsEntry("derived_state", "failed");
        long lastTerminal = db.queryLong("SELECT max(terminal_at_ms) FROM flowfabric.ff_exec_core"
                + " WHERE partition_key = ? AND flow_id = ?", flow.partition(), flow.uuid());
        assertThat(done.get("last_terminal_at_ms")).isEqualTo(lastTerminal);
    }

    private long dirty(FlowId flow) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_flow_dirty WHERE partition_key = ? AND flow_id = ?",
                flow.partition(), flow.uuid());
    }

    private Map<String, Object> summary(FlowId flow) {
        List<Map<String, Object>> rows = db.queryRows("SELECT * FROM flowfabric.ff_flow_summary"
                + " WHERE partition_key = ? AND flow_id = ?", flow.partition(), flow.uuid());
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }
}
