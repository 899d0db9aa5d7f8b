package io.flowfabric.postgres.executions;

import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The retry branch of spec 02 §5.2, shared by {@code fail} (end reason {@code retry_scheduled}, lease event
 * {@code released}) and the attempt-timeout action (end reason {@code attempt_timeout}, lease event {@code revoked}):
 * ends the lease with an epoch bump, ends the attempt as {@code ended_failure} recording the reason, next index and
 * retry time (so a replayed {@code fail} returns the same outcome), counts the retry and writes the "retry backoff"
 * vector, or "retry ready" with a ready notification when there is no delay. No completion event.
 */
final class RetryTransition {

    private static final String RETRY = """
            WITH e AS (
              UPDATE {s}.ff_exec_core x SET
                lifecycle_phase = 'runnable', ownership_state = 'unowned',
                eligibility_state = CASE WHEN $3::bigint > 0 THEN 'not_eligible_until_time' ELSE 'eligible_now' END,
                blocking_reason = CASE WHEN $3::bigint > 0 THEN 'waiting_for_retry_backoff'
                                       ELSE 'waiting_for_worker' END,
                blocking_detail = NULL, attempt_state = 'pending_retry_attempt',
                delay_until_ms = CASE WHEN $3::bigint > 0 THEN {s}.now_ms() + $3::bigint END,
                lease_epoch = x.lease_epoch + 1, current_lease_id = NULL, lease_expires_at_ms = NULL,
                lease_ttl_ms = NULL, lease_granted_at_ms = NULL, current_worker_id = NULL,
                current_worker_instance_id = NULL, attempt_deadline_at_ms = NULL,
                retry_count = x.retry_count + 1, last_failure_message = $4, last_failure_category = $5,
                last_mutation_at_ms = {s}.now_ms()
              WHERE x.partition_key = $1 AND x.execution_id = $2
              RETURNING x.partition_key, x.execution_id, x.namespace, x.instance_tag, x.current_attempt_index,
                        x.attempt_count AS next_index, coalesce(x.delay_until_ms, {s}.now_ms()) AS retry_at_ms
            ), a AS (
              UPDATE {s}.ff_attempt t SET
                attempt_lifecycle = 'ended_failure', end_reason = $6, ended_at_ms = {s}.now_ms(),
                active_ms = t.active_ms + greatest(0, {s}.now_ms() - coalesce($7::bigint, {s}.now_ms())),
                end_detail = $8::jsonb || jsonb_build_object('nextAttemptIndex', e.next_index,
                                                             'retryAtMs', e.retry_at_ms)
              FROM e
              WHERE t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                AND t.attempt_index = e.current_attempt_index
              RETURNING 1
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms,
                  reason, lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, $9, $10, $11, $12, $13, $6, $14
              FROM e
              RETURNING 1
            )
            SELECT e.next_index, e.retry_at_ms FROM e""";

    private final String retrySql;
    private final Channels channels;
    private final boolean notifyLease;

    RetryTransition(SqlTemplate template, Channels channels, boolean notifyLease) {
        this.retrySql = template.render(RETRY);
        this.channels = channels;
        this.notifyLease = notifyLease;
    }

    /** Schedules the retry of the locked, leased {@code row}; emits the outcome the caller returns. */
    Mono<FailOutcome> apply(Tx tx, ExecRow row, long delayMs, @Nullable String message, @Nullable String category,
                            EndReason endReason, LeaseEventType leaseEnd, String endDetailJson) {
        LeaseEnd end = LeaseEnd.of(row, leaseEnd);
        if (notifyLease) {
            tx.notifyOnCommit(channels.lease());
        }
        if (row.currentAttemptIndex() != null) {
            tx.notifyOnCommit(channels.stream(row.id(), row.currentAttemptIndex()));
        }
        if (delayMs <= 0) {
            tx.notifyOnCommit(channels.ready(row.lane()));
        }
        return tx.queryOne(retrySql,
                r -> (FailOutcome) new FailOutcome.RetryScheduled(r.get("next_index", Integer.class),
                        Instant.ofEpochMilli(r.get("retry_at_ms", Long.class))),
                row.id().partition(), row.id().uuid(), delayMs,
                Bind.nullable(message, String.class), Bind.nullable(category, String.class),
                endReason.literal(), end.grantedAtMs(), endDetailJson,
                end.epoch(), end.eventType(), end.workerId(), end.workerInstanceId(), end.expiresAtMs(),
                end.fingerprint());
    }

}
