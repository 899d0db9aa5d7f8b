package io.flowfabric.postgres.executions;

import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import reactor.core.publisher.Mono;

/**
 * Procedure R of spec 02 §1, release for a pause: ends the lease ({@code released}, epoch + 1), pauses the attempt
 * (state {@code suspended}, its stream stays open), accumulates the attempt's active time, clears the attempt
 * deadline and writes the target vector. With a delay that ends after now the vector is "worker delayed itself";
 * with no delay, or one already over, it is "paused attempt ready" and the lane is notified.
 */
final class PauseTransition {

    /** The target: the blocked vector's eligibility and blocking reason, and an optional delay. */
    enum Target {
        /** "Worker delayed itself" (or "paused attempt ready" when the delay is over). */
        DELAY("not_eligible_until_time", "waiting_for_delay"),
        /** "Worker waits for children". */
        WAIT_CHILDREN("blocked_by_dependencies", "waiting_for_children");

        final String eligibility;
        final String blockingReason;

        Target(String eligibility, String blockingReason) {
            this.eligibility = eligibility;
            this.blockingReason = blockingReason;
        }
    }

    /** Emitted after the pause: the delay end (or now when ready at once) and whether the row is eligible now. */
    record Paused(long untilMs, boolean eligibleNow) {
    }

    private static final String SQL = """
            WITH d AS (
              SELECT {s}.now_ms() AS now_ms, {s}.now_ms() + $4::bigint AS until_ms
            ), e AS (
              UPDATE {s}.ff_exec_core x SET
                lifecycle_phase = 'runnable', ownership_state = 'unowned',
                eligibility_state = CASE WHEN $3::text = 'blocked_by_dependencies' THEN $3::text
                                         WHEN d.until_ms > d.now_ms THEN $3::text ELSE 'eligible_now' END,
                blocking_reason = CASE WHEN $3::text = 'blocked_by_dependencies' THEN $5::text
                                       WHEN d.until_ms > d.now_ms THEN $5::text ELSE 'waiting_for_worker' END,
                blocking_detail = NULL, attempt_state = 'attempt_interrupted',
                delay_until_ms = CASE WHEN $3::text <> 'blocked_by_dependencies' AND d.until_ms > d.now_ms
                                      THEN d.until_ms END,
                lease_epoch = x.lease_epoch + 1, current_lease_id = NULL, lease_expires_at_ms = NULL,
                lease_ttl_ms = NULL, lease_granted_at_ms = NULL, current_worker_id = NULL,
                current_worker_instance_id = NULL, attempt_deadline_at_ms = NULL, last_mutation_at_ms = d.now_ms
              FROM d
              WHERE x.partition_key = $1 AND x.execution_id = $2
              RETURNING x.partition_key, x.execution_id, x.namespace, x.instance_tag, x.current_attempt_index,
                        x.eligibility_state, coalesce(x.delay_until_ms, d.now_ms) AS until_ms
            ), a AS (
              UPDATE {s}.ff_attempt t SET
                attempt_lifecycle = 'suspended',
                active_ms = t.active_ms + greatest(0, {s}.now_ms() - coalesce($10::bigint, {s}.now_ms()))
              FROM e
              WHERE t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                AND t.attempt_index = e.current_attempt_index
              RETURNING 1
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms,
                  reason, lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, $6, 'released', $7, $8, $9, $11, $12
              FROM e
              RETURNING 1
            )
            SELECT e.until_ms, e.eligibility_state FROM e""";

    private final String sql;
    private final Channels channels;
    private final boolean notifyLease;

    PauseTransition(SqlTemplate template, Channels channels, boolean notifyLease) {
        this.sql = template.render(SQL);
        this.channels = channels;
        this.notifyLease = notifyLease;
    }

    /** Pauses the locked, leased {@code row}; {@code delayMs} is ignored for {@link Target#WAIT_CHILDREN}. */
    Mono<Paused> apply(Tx tx, ExecRow row, Target target, long delayMs, String reason) {
        LeaseEnd end = LeaseEnd.of(row, LeaseEventType.RELEASED);
        if (notifyLease) {
            tx.notifyOnCommit(channels.lease());
        }
        return tx.queryOne(sql,
                        r -> new Paused(r.get("until_ms", Long.class),
                                "eligible_now".equals(r.get("eligibility_state", String.class))),
                        row.id().partition(), row.id().uuid(), target.eligibility, delayMs, target.blockingReason,
                        end.epoch(), end.workerId(), end.workerInstanceId(), end.expiresAtMs(), end.grantedAtMs(),
                        reason, end.fingerprint())
                .doOnNext(p -> {
                    if (p.eligibleNow()) {
                        tx.notifyOnCommit(channels.ready(row.lane()));
                    }
                });
    }
}
