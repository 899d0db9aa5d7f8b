package io.flowfabric.postgres.retention;

import io.flowfabric.core.id.Partitions;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import io.r2dbc.spi.Readable;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Deletes executions and every row that belongs to them (the first column of 08 §3), in the caller's transaction:
 * attempts, streams, suspension, waitpoints, signals and their dedup rows, grants, dependency inputs, backlog and
 * sibling-cancel rows, the idempotency row (on its key's partition, only while it still names the execution), quota
 * admissions (on the policy's partition) and budget spend (on each budget's partition). Outbox rows age out on their
 * own.
 */
final class ExecutionPurge {

    /** The columns {@link Victim#read} needs, over alias {@code e}. */
    static final String COLUMNS = "e.partition_key, e.execution_id, e.namespace, e.idempotency_key, "
            + "e.quota_policy_id, e.budget_ids";

    /** One execution to delete, with the keys of its rows on other partitions. */
    record Victim(int partition, UUID id, String namespace, @Nullable String idempotencyKey,
                  @Nullable UUID quotaPolicyId, UUID[] budgetIds) {

        static Victim read(Readable r) {
            UUID[] budgets = r.get("budget_ids", UUID[].class);
            return new Victim(r.get("partition_key", Short.class), r.get("execution_id", UUID.class),
                    r.get("namespace", String.class), r.get("idempotency_key", String.class),
                    r.get("quota_policy_id", UUID.class), budgets == null ? new UUID[0] : budgets);
        }
    }

    private static final String PURGE = """
            WITH k AS (SELECT * FROM unnest($1::int[], $2::uuid[]) AS k(pk, id)),
            a AS (DELETE FROM {s}.ff_attempt t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            sf AS (DELETE FROM {s}.ff_stream_frame t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            sm AS (DELETE FROM {s}.ff_stream_meta t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            ss AS (DELETE FROM {s}.ff_stream_summary t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            su AS (DELETE FROM {s}.ff_suspension t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            wp AS (DELETE FROM {s}.ff_waitpoint t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            sg AS (DELETE FROM {s}.ff_signal t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            sd AS (DELETE FROM {s}.ff_signal_dedup t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            pd AS (DELETE FROM {s}.ff_suspend_dedup t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            cg AS (DELETE FROM {s}.ff_claim_grant t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            di AS (DELETE FROM {s}.ff_dependency_input t USING k WHERE t.partition_key = k.pk AND t.downstream_id = k.id RETURNING 1),
            bm AS (DELETE FROM {s}.ff_cancel_backlog_member t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1),
            sc AS (DELETE FROM {s}.ff_sibling_cancel t USING k WHERE t.partition_key = k.pk AND t.target_id = k.id RETURNING 1),
            ik AS (DELETE FROM {s}.ff_idempotency t
                   USING unnest($3::int[], $4::text[], $5::text[], $6::uuid[]) AS i(pk, ns, key, id)
                   WHERE t.partition_key = i.pk AND t.namespace = i.ns AND t.idempotency_key = i.key
                     AND t.execution_id = i.id RETURNING 1),
            qa AS (DELETE FROM {s}.ff_quota_admission t USING unnest($7::int[], $8::uuid[], $9::uuid[]) AS q(pk, qid, id)
                   WHERE t.partition_key = q.pk AND t.quota_policy_id = q.qid AND t.execution_id = q.id RETURNING 1),
            bs AS (DELETE FROM {s}.ff_budget_spend t USING unnest($10::int[], $11::uuid[], $12::uuid[]) AS b(pk, bid, id)
                   WHERE t.partition_key = b.pk AND t.budget_id = b.bid AND t.execution_id = b.id RETURNING 1),
            e AS (DELETE FROM {s}.ff_exec_core t USING k WHERE t.partition_key = k.pk AND t.execution_id = k.id RETURNING 1)
            SELECT count(*) AS deleted FROM e""";

    private final String purgeSql;

    ExecutionPurge(SqlTemplate sql) {
        this.purgeSql = sql.render(PURGE);
    }

    /** Deletes the victims (already locked by the caller); emits how many executions were deleted. */
    Mono<Integer> purge(Tx tx, List<Victim> victims) {
        if (victims.isEmpty()) {
            return Mono.just(0);
        }
        List<Integer> keyPk = new ArrayList<>();
        List<String> keyNs = new ArrayList<>();
        List<String> keyKey = new ArrayList<>();
        List<UUID> keyId = new ArrayList<>();
        List<Integer> quotaPk = new ArrayList<>();
        List<UUID> quotaId = new ArrayList<>();
        List<UUID> quotaExec = new ArrayList<>();
        List<Integer> budgetPk = new ArrayList<>();
        List<UUID> budgetId = new ArrayList<>();
        List<UUID> budgetExec = new ArrayList<>();
        for (Victim v : victims) {
            if (v.idempotencyKey() != null) {
                keyPk.add(Partitions.ofIdempotencyKey(v.namespace(), v.idempotencyKey()));
                keyNs.add(v.namespace());
                keyKey.add(v.idempotencyKey());
                keyId.add(v.id());
            }
            if (v.quotaPolicyId() != null) {
                quotaPk.add(Partitions.ofUuid(v.quotaPolicyId()));
                quotaId.add(v.quotaPolicyId());
                quotaExec.add(v.id());
            }
            for (UUID b : v.budgetIds()) {
                budgetPk.add(Partitions.ofUuid(b));
                budgetId.add(b);
                budgetExec.add(v.id());
            }
        }
        return tx.queryOne(purgeSql, r -> r.get("deleted", Long.class).intValue(),
                victims.stream().map(Victim::partition).toArray(Integer[]::new),
                victims.stream().map(Victim::id).toArray(UUID[]::new),
                keyPk.toArray(Integer[]::new), keyNs.toArray(String[]::new), keyKey.toArray(String[]::new),
                keyId.toArray(UUID[]::new),
                quotaPk.toArray(Integer[]::new), quotaId.toArray(UUID[]::new), quotaExec.toArray(UUID[]::new),
                budgetPk.toArray(Integer[]::new), budgetId.toArray(UUID[]::new), budgetExec.toArray(UUID[]::new));
    }
}
