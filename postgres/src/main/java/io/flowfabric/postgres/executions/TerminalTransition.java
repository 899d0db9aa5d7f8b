package io.flowfabric.postgres.executions;

import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Internal. Procedure T of spec 02 §1: the one way an execution becomes terminal. One statement, on a row the caller has
 * already locked (and described by {@link ExecRow}): ends the lease with an epoch bump and a lease event when one is
 * held, ends the running or paused attempt, deletes the suspension and closes waitpoints, writes the terminal
 * vector, deletes unredeemed grants, inserts exactly one completion event and marks the flow dirty. An event without
 * a flow has nothing to dispatch and is written already dispatched. The caller's
 * transaction notifies the completion (and lease) channels on commit.
 */
public final class TerminalTransition {

    /**
     * What to write.
     *
     * @param leaseEnd        the lease event type if a lease is held ({@code released}, {@code revoked},
     *                        {@code expired}); ignored when none is held
     * @param resultBytes     the result to store (success only); {@code null} keeps none
     * @param endDetailJson   recorded on the ended attempt (failure details, for replays)
     */
    public record Terminal(TerminalOutcome outcome, EndReason endReason, LeaseEventType leaseEnd,
                    byte @Nullable [] resultBytes, @Nullable String resultEncoding,
                    @Nullable String cancelledBy, @Nullable String cancellationReason,
                    @Nullable String failureMessage, @Nullable String failureCategory,
                    @Nullable String endDetailJson) {

        public static Terminal success(byte @Nullable [] result, @Nullable String encoding) {
            return new Terminal(TerminalOutcome.SUCCESS, EndReason.COMPLETED, LeaseEventType.RELEASED, result,
                    encoding, null, null, null, null, "{\"outcome\":\"completed\"}");
        }

        public static Terminal cancelled(String by, @Nullable String reason, LeaseEventType leaseEnd) {
            return new Terminal(TerminalOutcome.CANCELLED, EndReason.CANCELLED, leaseEnd, null, null, by, reason,
                    null, null, "{\"outcome\":\"cancelled\"}");
        }

        /** A downstream whose dependencies became impossible (03 §7). */
        public static Terminal skipped() {
            return new Terminal(TerminalOutcome.SKIPPED, EndReason.SKIPPED, LeaseEventType.REVOKED, null, null, null,
                    null, null, null, "{\"outcome\":\"skipped\"}");
        }

        public static Terminal failed(EndReason endReason, LeaseEventType leaseEnd, @Nullable String message,
                               @Nullable String category, String endDetailJson) {
            return new Terminal(TerminalOutcome.FAILED, endReason, leaseEnd, null, null, null, null, message,
                    category, endDetailJson);
        }
    }

    private static final String SQL = """
            WITH e AS (
              UPDATE {s}.ff_exec_core SET
                lifecycle_phase = 'terminal', ownership_state = 'unowned', eligibility_state = 'not_applicable',
                blocking_reason = 'none', blocking_detail = NULL,
                attempt_state = CASE WHEN attempt_count > 0 THEN 'attempt_terminal' ELSE 'none' END,
                terminal_outcome = $3, terminal_at_ms = {s}.now_ms(), last_mutation_at_ms = {s}.now_ms(),
                lease_epoch = lease_epoch + CASE WHEN current_lease_id IS NULL THEN 0 ELSE 1 END,
                current_lease_id = NULL, lease_expires_at_ms = NULL, lease_ttl_ms = NULL, lease_granted_at_ms = NULL,
                current_worker_id = NULL, current_worker_instance_id = NULL,
                delay_until_ms = NULL, deadline_at_ms = NULL, attempt_deadline_at_ms = NULL,
                reserved_until_ms = NULL, reserved_grant_id = NULL, current_suspension_id = NULL,
                result_payload = $4, result_encoding = $5,
                cancelled_by = coalesce($6, cancelled_by), cancellation_reason = coalesce($7, cancellation_reason),
                last_failure_message = coalesce($8, last_failure_message),
                last_failure_category = coalesce($9, last_failure_category)
              WHERE partition_key = $1 AND execution_id = $2
              RETURNING partition_key, execution_id, namespace, instance_tag, flow_id, current_attempt_index,
                        public_state, lease_epoch
            ), a AS (
              UPDATE {s}.ff_attempt t SET
                attempt_lifecycle = $10, end_reason = $11, ended_at_ms = {s}.now_ms(), end_detail = $12::jsonb,
                active_ms = t.active_ms + CASE WHEN t.attempt_lifecycle = 'started' AND $13::bigint IS NOT NULL
                                               THEN greatest(0, {s}.now_ms() - $13::bigint) ELSE 0 END
              FROM e
              WHERE t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                AND t.attempt_index = e.current_attempt_index AND t.attempt_lifecycle IN ('started', 'suspended')
              RETURNING 1
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms, reason,
                  lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, $14, $15, $16, $17, $18, $11, $19
              FROM e WHERE $15::text IS NOT NULL
              RETURNING 1
            ), ce AS (
              INSERT INTO {s}.ff_completion_event (partition_key, occurred_at_ms, namespace, instance_tag,
                  execution_id, flow_id, outcome, attempt_index, dispatched_at_ms)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id, e.flow_id, $3,
                     e.current_attempt_index, CASE WHEN e.flow_id IS NULL THEN {s}.now_ms() END
              FROM e
              RETURNING 1
            ), s AS (
              DELETE FROM {s}.ff_suspension x USING e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id
              RETURNING 1
            ), w AS (
              UPDATE {s}.ff_waitpoint x SET state = 'closed', closed_at_ms = {s}.now_ms(), closed_reason = $11
              FROM e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id AND x.state <> 'closed'
              RETURNING 1
            ), g AS (
              DELETE FROM {s}.ff_claim_grant x USING e
              WHERE x.partition_key = e.partition_key AND x.execution_id = e.execution_id
              RETURNING 1
            ), fd AS (
              INSERT INTO {s}.ff_flow_dirty (partition_key, flow_id, marked_at_ms)
              SELECT e.partition_key, e.flow_id, {s}.now_ms() FROM e WHERE e.flow_id IS NOT NULL
              ON CONFLICT DO NOTHING
              RETURNING 1
            )
            SELECT e.public_state FROM e""";

    private final String sql;
    private final Channels channels;
    private final boolean notifyLease;

    TerminalTransition(SqlTemplate template, Channels channels, boolean notifyLease) {
        this.sql = template.render(SQL);
        this.channels = channels;
        this.notifyLease = notifyLease;
    }

    /** Applies T to the locked {@code row}; emits the new public state. */
    public Mono<PublicState> apply(Tx tx, ExecRow row, Terminal t) {
        boolean leased = row.leased();
        String attemptLifecycle = switch (t.outcome()) {
            case SUCCESS -> "ended_success";
            case CANCELLED -> "ended_cancelled";
            default -> "ended_failure";
        };
        Object fingerprint = leased ? new LeaseId(row.leaseId()).fingerprint() : new Bind(String.class);
        tx.notifyOnCommit(channels.completion());
        if (row.currentAttemptIndex() != null) {
            // The attempt's stream is closed now; followers of it must wake to see the closed marker (05 §7).
            tx.notifyOnCommit(channels.stream(row.id(), row.currentAttemptIndex()));
        }
        if (leased && notifyLease) {
            tx.notifyOnCommit(channels.lease());
        }
        return tx.queryOne(sql, r -> PublicState.fromLiteral(r.get("public_state", String.class)),
                row.id().partition(), row.id().uuid(),
                t.outcome().literal(),
                t.resultBytes() == null ? new Bind(ByteBuffer.class) : t.resultBytes(),
                Bind.nullable(t.resultEncoding(), String.class),
                Bind.nullable(t.cancelledBy(), String.class),
                Bind.nullable(t.cancellationReason(), String.class),
                Bind.nullable(t.failureMessage(), String.class),
                Bind.nullable(t.failureCategory(), String.class),
                attemptLifecycle,
                t.endReason().literal(),
                Bind.nullable(t.endDetailJson(), String.class),
                Bind.nullable(row.leaseGrantedAtMs(), Long.class),
                row.leaseEpoch(),
                leased ? t.leaseEnd().literal() : new Bind(String.class),
                Bind.nullable(row.workerId(), String.class),
                Bind.nullable(row.workerInstanceId(), String.class),
                Bind.nullable(row.leaseExpiresAtMs(), Long.class),
                fingerprint);
    }
}
