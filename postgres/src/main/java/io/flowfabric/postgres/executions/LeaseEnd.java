package io.flowfabric.postgres.executions;

import io.flowfabric.core.id.LeaseId;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.postgres.sql.Bind;

/**
 * The bound values that end a lease (01 §6.2) in the non-terminal transitions (pause, retry): the ended lease's
 * epoch, holder and expiry as read from the locked row, for the lease event. Terminal transitions use
 * {@link TerminalTransition}, which reads the same values from the row.
 */
record LeaseEnd(long epoch, Object workerId, Object workerInstanceId, Object expiresAtMs, Object fingerprint,
                Object grantedAtMs, String eventType) {

    static LeaseEnd of(ExecRow row, LeaseEventType type) {
        return new LeaseEnd(row.leaseEpoch(),
                Bind.nullable(row.workerId(), String.class),
                Bind.nullable(row.workerInstanceId(), String.class),
                Bind.nullable(row.leaseExpiresAtMs(), Long.class),
                row.leaseId() == null ? new Bind(String.class) : new LeaseId(row.leaseId()).fingerprint(),
                Bind.nullable(row.leaseGrantedAtMs(), Long.class),
                type.literal());
    }
}
