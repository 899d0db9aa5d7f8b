package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.postgres.sql.Tx;
import io.r2dbc.spi.Readable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Internal. The fence check of every lease-holder write (spec 01 §6.3), run as the unit's first statement: it locks the
 * execution row, then either lets the write proceed, recognises an idempotent replay by the lease that already
 * succeeded (01 §6.4), or fails with the precise error. A failure changes nothing and writes no event.
 */
public final class LeaseFenceCheck {

    private static final String ATTEMPT_AT_FENCE = """
            SELECT lease_id, lease_epoch, end_reason, end_detail::text AS end_detail
            FROM {s}.ff_attempt
            WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3""";

    private final String lockSql;
    private final String attemptSql;

    LeaseFenceCheck(io.flowfabric.postgres.sql.SqlTemplate sql) {
        this.lockSql = sql.render(ExecRow.LOCK);
        this.attemptSql = sql.render(ATTEMPT_AT_FENCE);
    }

    /** What the check decided: proceed with {@code row}, or answer a replay from the recorded attempt end. */
    public record Outcome(ExecRow row, @Nullable EndedAttempt replay) {
        public boolean isReplay() {
            return replay != null;
        }
    }

    /** The recorded end of the attempt a replayed call's lease ended with. */
    public record EndedAttempt(String endReason, @Nullable String endDetailJson) {
    }

    /** Rejects a missing fence before any database access. */
    public static Mono<LeaseFence> require(@Nullable LeaseFence fence) {
        return fence == null
                ? Mono.error(new ValidationException(ValidationException.Kind.FENCE_REQUIRED,
                        "a lease-holder operation needs the fence (execution, attempt index, lease epoch, lease id)"))
                : Mono.just(fence);
    }

    /**
     * Locks the row and checks the fence.
     *
     * @param replayReasons the attempt end reasons that make this call an idempotent replay (empty when the
     *                      operation has no replay)
     */
    public Mono<Outcome> check(Tx tx, LeaseFence fence, Set<String> replayReasons) {
        int pk = fence.executionId().partition();
        UUID id = fence.executionId().uuid();
        return tx.queryOne(lockSql, ExecRow::read, pk, id)
                .switchIfEmpty(Mono.error(() -> new NotFoundException(NotFoundException.Entity.EXECUTION,
                        "no execution " + fence.executionId())))
                .flatMap(row -> {
                    if (row.active() && row.currentAttemptIndex() != null
                            && row.currentAttemptIndex() == fence.attemptIndex()
                            && row.leaseEpoch() == fence.leaseEpoch()
                            && fence.leaseId().uuid().equals(row.leaseId())) {
                        if (row.leaseExpiresAtMs() == null || row.leaseExpiresAtMs() <= row.nowMs()) {
                            return Mono.error(new StateException(StateException.Kind.LEASE_EXPIRED,
                                    "the lease of " + row.id() + " expired on the database clock"));
                        }
                        return Mono.just(new Outcome(row, null));
                    }
                    return tx.queryOne(attemptSql, LeaseFenceCheck::readAttempt, pk, id, fence.attemptIndex())
                            .map(attempt -> classifyEnded(row, fence, attempt, replayReasons))
                            .switchIfEmpty(Mono.error(() -> stale(row)))
                            .flatMap(outcome -> outcome);
                });
    }

    private record AttemptLease(@Nullable UUID leaseId, long leaseEpoch, @Nullable String endReason,
                                @Nullable String endDetail) {
    }

    private static AttemptLease readAttempt(Readable r) {
        Long epoch = r.get("lease_epoch", Long.class);
        return new AttemptLease(r.get("lease_id", UUID.class), epoch == null ? -1 : epoch,
                r.get("end_reason", String.class), r.get("end_detail", String.class));
    }

    private static Mono<Outcome> classifyEnded(ExecRow row, LeaseFence fence, AttemptLease attempt,
                                               Set<String> replayReasons) {
        boolean sameLease = fence.leaseId().uuid().equals(attempt.leaseId())
                && attempt.leaseEpoch() == fence.leaseEpoch();
        if (!sameLease) {
            return Mono.error(stale(row));
        }
        String reason = attempt.endReason();
        if (reason != null && replayReasons.contains(reason)) {
            return Mono.just(new Outcome(row, new EndedAttempt(reason, attempt.endDetail())));
        }
        if ("lease_revoked".equals(reason)) {
            return Mono.error(new StateException(StateException.Kind.LEASE_REVOKED,
                    "the lease on " + row.id() + " was revoked"));
        }
        if ("lease_expired".equals(reason)) {
            return Mono.error(new StateException(StateException.Kind.LEASE_EXPIRED,
                    "the lease on " + row.id() + " expired and was reclaimed"));
        }
        if (!row.active()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("lifecycle", row.lifecycle().literal());
            details.put("publicState", row.publicState().literal());
            details.put("outcome", row.outcome().literal());
            if (row.currentAttemptIndex() != null) {
                details.put("attemptIndex", row.currentAttemptIndex());
            }
            details.put("leaseEpoch", row.leaseEpoch());
            return Mono.error(new StateException(StateException.Kind.EXECUTION_NOT_ACTIVE,
                    row.id() + " is " + row.publicState().literal() + " (outcome " + row.outcome().literal() + ")",
                    details));
        }
        return Mono.error(stale(row));
    }

    private static StateException stale(ExecRow row) {
        return new StateException(StateException.Kind.STALE_LEASE,
                "the fence does not match the current lease of " + row.id());
    }
}
