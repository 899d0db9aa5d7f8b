package io.flowfabric.postgres.executions;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.lease.Handle;
import io.flowfabric.core.lease.HandleKind;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.state.AttemptType;
import io.flowfabric.postgres.sql.JsonText;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import io.r2dbc.spi.Readable;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import java.util.UUID;
import reactor.core.publisher.Flux;

/**
 * The claim (spec 02 §4): ONE statement across all partitions that selects up to n runnable, eligible, unreserved
 * executions of the requested lanes whose required capabilities the worker covers, in priority-then-age order,
 * locks them {@code FOR UPDATE SKIP LOCKED}, grants each a lease (epoch + 1, a fresh random lease id), applies the
 * attempt effect of 01 §6.1 (new attempt, reclaim attempt, or continuation of a paused one) and writes the
 * {@code acquired} / {@code reclaimed} lease events. Its cost does not grow with the number of logical partitions.
 * It sends its own notifications, so it runs as one autocommit statement.
 */
final class ClaimStatement {

    private static final String SQL = """
            WITH cand AS (
              SELECT c.partition_key, c.execution_id, c.attempt_state AS prev_attempt_state,
                     c.ownership_state AS prev_ownership, c.current_attempt_index AS prev_index,
                     row_number() OVER (ORDER BY c.priority DESC, c.created_at_ms, c.execution_id) AS rn
              FROM (
                %s
              ) c
            ), prev AS (
              SELECT cand.*, (cand.prev_attempt_state = 'attempt_interrupted' AND cand.prev_ownership = 'unowned')
                               AS resumed,
                     (cand.prev_attempt_state = 'attempt_interrupted' AND cand.prev_ownership <> 'unowned')
                               AS reclaim,
                     coalesce(t.active_ms, 0) AS prev_active_ms
              FROM cand
              LEFT JOIN {s}.ff_attempt t ON t.partition_key = cand.partition_key
                   AND t.execution_id = cand.execution_id AND t.attempt_index = cand.prev_index
            ), upd AS (
              UPDATE {s}.ff_exec_core e SET
                lifecycle_phase = 'active', ownership_state = 'leased', eligibility_state = 'not_applicable',
                blocking_reason = 'none', blocking_detail = NULL, attempt_state = 'running_attempt',
                lease_epoch = e.lease_epoch + 1,
                current_lease_id = ($4::uuid[])[p.rn],
                lease_expires_at_ms = {s}.now_ms() + $5::bigint, lease_ttl_ms = $5::bigint,
                lease_granted_at_ms = {s}.now_ms(),
                current_worker_id = $6, current_worker_instance_id = $7,
                started_at_ms = coalesce(e.started_at_ms, {s}.now_ms()),
                attempt_count = CASE WHEN p.resumed THEN e.attempt_count ELSE e.attempt_count + 1 END,
                current_attempt_index = CASE WHEN p.resumed THEN e.current_attempt_index ELSE e.attempt_count END,
                lease_reclaim_count = e.lease_reclaim_count + CASE WHEN p.reclaim THEN 1 ELSE 0 END,
                attempt_deadline_at_ms = CASE WHEN (e.policy ->> 'attemptTimeoutMs') IS NULL THEN NULL
                    ELSE {s}.now_ms() + (e.policy ->> 'attemptTimeoutMs')::bigint
                         - CASE WHEN p.resumed THEN p.prev_active_ms ELSE 0 END END,
                reserved_until_ms = NULL, reserved_grant_id = NULL, delay_until_ms = NULL,
                last_mutation_at_ms = {s}.now_ms()
              FROM prev p
              WHERE e.partition_key = p.partition_key AND e.execution_id = p.execution_id
              RETURNING e.partition_key, e.execution_id, e.namespace, e.lane_id, e.execution_kind, e.priority,
                        e.flow_id, e.input_payload, e.input_encoding, e.tags::text AS tags, e.policy::text AS policy,
                        e.instance_tag, e.lease_epoch, e.current_lease_id, e.lease_expires_at_ms,
                        e.current_attempt_index, p.rn, p.resumed, p.reclaim, p.prev_attempt_state
            ), new_attempt AS (
              INSERT INTO {s}.ff_attempt (partition_key, execution_id, attempt_index, attempt_id, attempt_type,
                  attempt_lifecycle, lease_id, lease_epoch, worker_id, worker_instance_id, started_at_ms,
                  last_granted_at_ms, active_ms)
              SELECT u.partition_key, u.execution_id, u.current_attempt_index, gen_random_uuid(),
                     CASE WHEN u.reclaim THEN 'reclaim'
                          WHEN u.prev_attempt_state = 'pending_retry_attempt' THEN 'retry'
                          WHEN u.prev_attempt_state = 'pending_replay_attempt' THEN 'replay'
                          ELSE 'initial' END,
                     'started', u.current_lease_id, u.lease_epoch, $6, $7, {s}.now_ms(), {s}.now_ms(), 0
              FROM upd u WHERE NOT u.resumed
              RETURNING partition_key, execution_id, attempt_id, attempt_type
            ), resumed_attempt AS (
              UPDATE {s}.ff_attempt t SET attempt_lifecycle = 'started', lease_id = u.current_lease_id,
                     lease_epoch = u.lease_epoch, worker_id = $6, worker_instance_id = $7,
                     last_granted_at_ms = {s}.now_ms()
              FROM upd u
              WHERE u.resumed AND t.partition_key = u.partition_key AND t.execution_id = u.execution_id
                AND t.attempt_index = u.current_attempt_index
              RETURNING t.partition_key, t.execution_id, t.attempt_id, t.attempt_type
            ), ev AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms,
                  reason, lease_fingerprint)
              SELECT u.partition_key, {s}.now_ms(), u.namespace, u.instance_tag, u.execution_id,
                     u.current_attempt_index, u.lease_epoch, CASE WHEN u.reclaim THEN 'reclaimed' ELSE 'acquired' END,
                     $6, $7, u.lease_expires_at_ms, NULL, ($8::text[])[u.rn]
              FROM upd u ORDER BY u.rn
              RETURNING 1
            ), n AS (
              SELECT pg_notify(c, '') FROM unnest($9::text[]) AS c WHERE EXISTS (SELECT 1 FROM upd)
            )
            SELECT u.*, coalesce(na.attempt_id, ra.attempt_id) AS attempt_id,
                   coalesce(na.attempt_type, ra.attempt_type) AS attempt_type,
                   (SELECT count(*) FROM n) AS notified,
                   (SELECT jsonb_object_agg(d.ref, jsonb_build_object('payload', encode(d.payload, 'base64'),
                                                                      'encoding', d.encoding))::text
                    FROM {s}.ff_dependency_input d
                    WHERE u.flow_id IS NOT NULL AND d.partition_key = u.partition_key
                      AND d.downstream_id = u.execution_id) AS dependency_inputs
            FROM upd u
            LEFT JOIN new_attempt na ON na.partition_key = u.partition_key AND na.execution_id = u.execution_id
            LEFT JOIN resumed_attempt ra ON ra.partition_key = u.partition_key AND ra.execution_id = u.execution_id
            ORDER BY u.rn""";

    /**
     * Candidates of one lane: the claim index gives them in priority-then-age order, so the scan stops after n
     * unlocked rows. The capability test is written as "no requirement, or contained" because the planner estimates
     * a bare {@code <@} at a fraction of a percent and would then sort the whole lane instead of using the index.
     */
    private static final String ONE_LANE = """
            SELECT partition_key, execution_id, attempt_state, ownership_state, current_attempt_index, priority,
                   created_at_ms
            FROM {s}.ff_exec_core
            WHERE lifecycle_phase = 'runnable' AND eligibility_state = 'eligible_now'
              AND lane_id = ($1::text[])[1]
              AND (required_capabilities = '{}'::text[] OR required_capabilities <@ $2::text[])
              AND (reserved_until_ms IS NULL OR reserved_until_ms <= {s}.now_ms())
            ORDER BY priority DESC, created_at_ms, execution_id
            LIMIT $3
            FOR UPDATE SKIP LOCKED""";

    /**
     * Candidates of several lanes: the same index-ordered, skip-locked scan per lane, then the best n overall (a
     * plain {@code lane_id = ANY(...)} would sort every ready row of the lanes). Rows locked but not chosen are
     * released when the statement ends.
     */
    private static final String MANY_LANES = """
            SELECT c.* FROM unnest($1::text[]) AS l(lane)
            CROSS JOIN LATERAL (
              SELECT partition_key, execution_id, attempt_state, ownership_state, current_attempt_index, priority,
                     created_at_ms
              FROM {s}.ff_exec_core
              WHERE lifecycle_phase = 'runnable' AND eligibility_state = 'eligible_now' AND lane_id = l.lane
                AND (required_capabilities = '{}'::text[] OR required_capabilities <@ $2::text[])
                AND (reserved_until_ms IS NULL OR reserved_until_ms <= {s}.now_ms())
              ORDER BY priority DESC, created_at_ms, execution_id
              LIMIT $3
              FOR UPDATE SKIP LOCKED
            ) c
            ORDER BY c.priority DESC, c.created_at_ms, c.execution_id
            LIMIT $3""";

    private final String oneLaneSql;
    private final String manyLanesSql;

    ClaimStatement(SqlTemplate template) {
        this.oneLaneSql = template.render(String.format(SQL, ONE_LANE.replace("\n", "\n                ")));
        this.manyLanesSql = template.render(String.format(SQL, MANY_LANES.replace("\n", "\n                ")));
    }

    /**
     * Runs the claim in {@code tx}.
     *
     * @param capabilities the worker's capability tokens, sorted and distinct
     */
    Flux<ClaimedExecution> run(Tx tx, List<String> lanes, List<String> capabilities, int n, long leaseTtlMs,
                               String workerId, String workerInstanceId, List<String> notify) {
        UUID[] leaseIds = new UUID[n];
        String[] fingerprints = new String[n];
        for (int i = 0; i < n; i++) {
            LeaseId lease = LeaseId.random();
            leaseIds[i] = lease.uuid();
            fingerprints[i] = lease.fingerprint();
        }
        return tx.query(lanes.size() == 1 ? oneLaneSql : manyLanesSql, r -> read(r, leaseTtlMs, workerInstanceId),
                lanes.toArray(String[]::new), capabilities.toArray(String[]::new), n, leaseIds, leaseTtlMs,
                workerId, workerInstanceId, fingerprints, tx.notifiedInStatement(notify));
    }

    private static ClaimedExecution read(Readable r, long leaseTtlMs, String workerInstanceId) {
        ExecutionId id = ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class));
        boolean resumed = Boolean.TRUE.equals(r.get("resumed", Boolean.class));
        boolean reclaim = Boolean.TRUE.equals(r.get("reclaim", Boolean.class));
        HandleKind kind = resumed ? HandleKind.RESUMED : reclaim ? HandleKind.RECLAIMED : HandleKind.FRESH;
        String attemptId = String.valueOf(r.get("attempt_id", UUID.class));
        String lane = r.get("lane_id", String.class);
        Handle handle = new Handle(id, r.get("current_attempt_index", Integer.class), attemptId,
                new LeaseId(r.get("current_lease_id", UUID.class)), r.get("lease_epoch", Long.class), leaseTtlMs,
                lane, workerInstanceId, kind);
        UUID flow = r.get("flow_id", UUID.class);
        return new ClaimedExecution(handle, attemptId,
                AttemptType.fromLiteral(r.get("attempt_type", String.class)),
                Instant.ofEpochMilli(r.get("lease_expires_at_ms", Long.class)),
                r.get("namespace", String.class),
                r.get("execution_kind", String.class),
                r.get("priority", Integer.class),
                flow == null ? null : new FlowId(flow),
                bytes(r.get("input_payload", ByteBuffer.class)),
                r.get("input_encoding", String.class),
                JsonText.readTags(r.get("tags", String.class)),
                ExecutionPolicy.fromJson(r.get("policy", String.class)),
                dependencyInputs(r.get("dependency_inputs", String.class)));
    }

    /** The upstream results copied for this execution's data-passing edges (03 §8), by ref. */
    private static Map<String, Payload> dependencyInputs(@Nullable String json) {
        if (json == null) {
            return Map.of();
        }
        Map<String, Payload> inputs = new TreeMap<>();
        JsonText.readObject(json).fields().forEachRemaining(e -> inputs.put(e.getKey(), new Payload(
                Base64.getMimeDecoder().decode(e.getValue().path("payload").asText("")),
                e.getValue().path("encoding").isNull() ? "binary" : e.getValue().path("encoding").asText("binary"))));
        return inputs;
    }

    static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return new byte[0];
        }
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
