package io.flowfabric.postgres.executions;

import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.sql.Tx;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The {@code lease_expiry} job (spec 08 §2), applying procedure E of 02 §1 to active executions whose lease expired on
 * the database clock: the attempt-timeout action when the attempt deadline has passed too; otherwise the lease ends
 * with an epoch bump and an {@code expired} event, the attempt becomes {@code interrupted_reclaimed}, and the
 * execution awaits reclaim (ready notification), or fails with {@code reclaim_cap_exceeded} at the reclaim cap.
 *
 * <p>Runs as an {@link ExecutionRowJob}; {@link #attemptTimeout} is also the action of the {@code attempt_timeout}
 * job.
 */
final class LeaseExpiryJob {

    private static final String EXPIRE = """
            WITH e AS (
              UPDATE {s}.ff_exec_core x SET
                lifecycle_phase = 'runnable', ownership_state = 'lease_expired_reclaimable',
                eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker', blocking_detail = NULL,
                attempt_state = 'attempt_interrupted', lease_epoch = x.lease_epoch + 1, current_lease_id = NULL,
                lease_expires_at_ms = NULL, lease_ttl_ms = NULL, lease_granted_at_ms = NULL,
                current_worker_id = NULL, current_worker_instance_id = NULL, attempt_deadline_at_ms = NULL,
                last_mutation_at_ms = {s}.now_ms()
              WHERE x.partition_key = $1 AND x.execution_id = $2
              RETURNING x.partition_key, x.execution_id, x.namespace, x.instance_tag, x.current_attempt_index
            ), a AS (
              UPDATE {s}.ff_attempt t SET attempt_lifecycle = 'interrupted_reclaimed', end_reason = 'lease_expired',
                     ended_at_ms = {s}.now_ms(),
                     active_ms = t.active_ms + greatest(0, {s}.now_ms() - coalesce($3::bigint, {s}.now_ms()))
              FROM e
              WHERE t.partition_key = e.partition_key AND t.execution_id = e.execution_id
                AND t.attempt_index = e.current_attempt_index
              RETURNING 1
            ), le AS (
              INSERT INTO {s}.ff_lease_event (partition_key, occurred_at_ms, namespace, instance_tag, execution_id,
                  attempt_index, lease_epoch, event_type, worker_id, worker_instance_id, lease_expires_at_ms,
                  reason, lease_fingerprint)
              SELECT e.partition_key, {s}.now_ms(), e.namespace, e.instance_tag, e.execution_id,
                     e.current_attempt_index, $4, 'expired', $5, $6, $7, 'lease_expired', $8
              FROM e
              RETURNING 1
            )
            SELECT count(*) AS n FROM e""";

    private final ExecutionSettings settings;
    private final TerminalTransition terminal;
    private final RetryTransition retry;
    private final String expireSql;

    LeaseExpiryJob(ExecutionSettings settings, TerminalTransition terminal, RetryTransition retry) {
        this.settings = settings;
        this.terminal = terminal;
        this.retry = retry;
        this.expireSql = settings.sql().render(EXPIRE);
    }

    /** The {@code lease_expiry} job: 1 s, batch 500 (08 §2). */
    ExecutionRowJob job() {
        return new ExecutionRowJob("lease_expiry", Duration.ofSeconds(1), 500, settings.database(), settings.sql(),
                "e.lifecycle_phase = 'active' AND e.lease_expires_at_ms <= {s}.now_ms()", "lease_expires_at_ms",
                this::expire);
    }

    /** The {@code attempt_timeout} job: 1 s, batch 500 (08 §2). */
    ExecutionRowJob attemptTimeoutJob() {
        return new ExecutionRowJob("attempt_timeout", Duration.ofSeconds(1), 500, settings.database(), settings.sql(),
                "e.lifecycle_phase = 'active' AND e.attempt_deadline_at_ms <= {s}.now_ms()", "attempt_deadline_at_ms",
                (tx, row) -> attemptTimeout(tx, row, ExecutionPolicy.fromJson(row.policyJson()), terminal, retry));
    }

    /** Procedure E on one locked, due row. */
    private Mono<Void> expire(Tx tx, ExecRow row) {
        ExecutionPolicy policy = ExecutionPolicy.fromJson(row.policyJson());
        if (row.attemptDeadlineAtMs() != null && row.attemptDeadlineAtMs() <= row.nowMs()) {
            return attemptTimeout(tx, row, policy, terminal, retry);
        }
        if (row.leaseReclaimCount() >= policy.maxReclaimCount()) {
            return terminal.apply(tx, row, TerminalTransition.Terminal.failed(EndReason.RECLAIM_CAP_EXCEEDED,
                    LeaseEventType.EXPIRED, null, null, "{\"outcome\":\"reclaim_cap_exceeded\"}")).then();
        }
        LeaseEnd end = LeaseEnd.of(row, LeaseEventType.EXPIRED);
        tx.notifyOnCommit(settings.channels().ready(row.lane()));
        if (row.currentAttemptIndex() != null) {
            tx.notifyOnCommit(settings.channels().stream(row.id(), row.currentAttemptIndex()));
        }
        if (settings.notifyLeaseEvents()) {
            tx.notifyOnCommit(settings.channels().lease());
        }
        return tx.query(expireSql, r -> 1, row.id().partition(), row.id().uuid(), end.grantedAtMs(), end.epoch(),
                end.workerId(), end.workerInstanceId(), end.expiresAtMs(), end.fingerprint()).then();
    }

    /**
     * The attempt-timeout action of 02 §6.3: a failure of class TIMEOUT that is retried whenever retries remain
     * (regardless of {@code retryOn}), else the execution expires.
     */
    static Mono<Void> attemptTimeout(Tx tx, ExecRow row, ExecutionPolicy policy, TerminalTransition terminal,
                                     RetryTransition retry) {
        String detail = "{\"outcome\":\"attempt_timeout\",\"failureClass\":\"TIMEOUT\"}";
        if (row.retryCount() < policy.retry().maxRetries()) {
            long delayMs = policy.retry().backoff().delayFor(row.retryCount()).toMillis();
            return retry.apply(tx, row, delayMs, "attempt timeout", null, EndReason.ATTEMPT_TIMEOUT,
                    LeaseEventType.REVOKED, detail).then();
        }
        return terminal.apply(tx, row, new TerminalTransition.Terminal(TerminalOutcome.EXPIRED,
                EndReason.ATTEMPT_TIMEOUT, LeaseEventType.REVOKED, null, null, null, null, "attempt timeout", null,
                detail)).then();
    }
}
