package io.flowfabric.postgres;

import io.flowfabric.core.execution.CapabilityReport;
import io.flowfabric.core.spi.AdminOperations;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Instant;
import java.util.SortedSet;
import java.util.TreeSet;
import reactor.core.publisher.Mono;

/** Health and introspection on PostgreSQL. */
final class PgAdminOperations implements AdminOperations {

    /** The operations this engine implements; reported by {@link #capabilities()} and covered by a snapshot test. */
    static final SortedSet<String> FEATURES = new TreeSet<>(java.util.List.of(
            "admin.capabilities", "admin.ping", "admin.serverTime",
            "executions.create", "executions.describe", "executions.idempotencyKeys", "executions.listAttempts",
            "executions.listExecutions", "executions.listExpiredLeases", "executions.listLanes",
            "executions.readInput", "executions.readResult", "executions.readState",
            "operator.cancelExecution",
            "workers.cancel", "workers.claim", "workers.claimBatch", "workers.complete", "workers.delay",
            "workers.fail", "workers.progress", "workers.renew", "workers.waitChildren"));

    private final Database db;
    private final String nowSql;
    private final int schemaVersion;
    private final int physicalPartitions;

    PgAdminOperations(Database db, SqlTemplate sql, int schemaVersion, int physicalPartitions) {
        this.db = db;
        this.nowSql = sql.render("SELECT {s}.now_ms() AS now_ms");
        this.schemaVersion = schemaVersion;
        this.physicalPartitions = physicalPartitions;
    }

    @Override
    public Mono<Instant> serverTime() {
        return db.inTransactionOne("server_time",
                tx -> tx.queryOne(nowSql, r -> Instant.ofEpochMilli(r.get("now_ms", Long.class))));
    }

    @Override
    public Mono<Void> ping() {
        return db.inTransactionOne("ping", tx -> tx.queryOne("SELECT 1 AS one", r -> 1)).then();
    }

    @Override
    public Mono<CapabilityReport> capabilities() {
        return Mono.fromSupplier(() -> new CapabilityReport("flowfabric-postgres", PostgresEngine.VERSION,
                schemaVersion, physicalPartitions, FEATURES));
    }
}
