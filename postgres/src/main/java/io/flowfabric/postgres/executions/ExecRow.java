package io.flowfabric.postgres.executions;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.LifecyclePhase;
import io.flowfabric.core.state.OwnershipState;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import io.r2dbc.spi.Readable;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Internal. The columns of a locked {@code ff_exec_core} row that fences and transitions decide on, plus the database's
 * {@code now_ms()} of the transaction. Read with {@link #LOCK}, which takes the row lock every lease-holder and
 * operator unit takes first (01 §8).
 */
public record ExecRow(
        ExecutionId id,
        String namespace,
        String lane,
        @Nullable UUID flowId,
        @Nullable String instanceTag,
        String policyJson,
        LifecyclePhase lifecycle,
        OwnershipState ownership,
        String eligibility,
        String attemptState,
        TerminalOutcome outcome,
        PublicState publicState,
        @Nullable Integer currentAttemptIndex,
        int attemptCount,
        long leaseEpoch,
        @Nullable UUID leaseId,
        @Nullable Long leaseExpiresAtMs,
        @Nullable Long leaseTtlMs,
        @Nullable Long leaseGrantedAtMs,
        @Nullable String workerId,
        @Nullable String workerInstanceId,
        int retryCount,
        int leaseReclaimCount,
        @Nullable Long attemptDeadlineAtMs,
        long nowMs) {

    /** The columns {@link #read} maps, for statements that lock execution rows. */
    public static final String COLUMNS = """
            e.partition_key, e.execution_id, e.namespace, e.lane_id, e.flow_id, e.instance_tag,
                   e.policy::text AS policy, e.lifecycle_phase, e.ownership_state, e.eligibility_state,
                   e.attempt_state, e.terminal_outcome, e.public_state, e.current_attempt_index, e.attempt_count,
                   e.lease_epoch, e.current_lease_id, e.lease_expires_at_ms, e.lease_ttl_ms, e.lease_granted_at_ms,
                   e.current_worker_id, e.current_worker_instance_id, e.retry_count, e.lease_reclaim_count,
                   e.attempt_deadline_at_ms, {s}.now_ms() AS now_ms""";

    public static final String LOCK = "SELECT " + COLUMNS + """

            FROM {s}.ff_exec_core e
            WHERE e.partition_key = $1 AND e.execution_id = $2
            FOR NO KEY UPDATE""";

    public boolean leased() {
        return leaseId != null;
    }

    public boolean active() {
        return lifecycle == LifecyclePhase.ACTIVE;
    }

    public boolean terminal() {
        return lifecycle == LifecyclePhase.TERMINAL;
    }

    /** Runnable and never started: its next claim creates a first or replay attempt. */
    public boolean notStarted() {
        return lifecycle == LifecyclePhase.RUNNABLE
                && ("pending_first_attempt".equals(attemptState) || "pending_replay_attempt".equals(attemptState));
    }

    public static ExecRow read(Readable r) {
        return new ExecRow(
                ExecutionId.of(r.get("partition_key", Short.class), r.get("execution_id", UUID.class)),
                r.get("namespace", String.class),
                r.get("lane_id", String.class),
                r.get("flow_id", UUID.class),
                r.get("instance_tag", String.class),
                r.get("policy", String.class),
                LifecyclePhase.fromLiteral(r.get("lifecycle_phase", String.class)),
                OwnershipState.fromLiteral(r.get("ownership_state", String.class)),
                r.get("eligibility_state", String.class),
                r.get("attempt_state", String.class),
                TerminalOutcome.fromLiteral(r.get("terminal_outcome", String.class)),
                PublicState.fromLiteral(r.get("public_state", String.class)),
                r.get("current_attempt_index", Integer.class),
                r.get("attempt_count", Integer.class),
                r.get("lease_epoch", Long.class),
                r.get("current_lease_id", UUID.class),
                r.get("lease_expires_at_ms", Long.class),
                r.get("lease_ttl_ms", Long.class),
                r.get("lease_granted_at_ms", Long.class),
                r.get("current_worker_id", String.class),
                r.get("current_worker_instance_id", String.class),
                r.get("retry_count", Integer.class),
                r.get("lease_reclaim_count", Integer.class),
                r.get("attempt_deadline_at_ms", Long.class),
                r.get("now_ms", Long.class));
    }
}
