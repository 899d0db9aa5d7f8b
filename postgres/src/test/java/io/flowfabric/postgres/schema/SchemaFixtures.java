package io.flowfabric.postgres.schema;

import io.flowfabric.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What the schema tests share: the table lists of spec 01 §9 and plain-SQL views of the catalog. */
final class SchemaFixtures {

    /** Global tables (01 §9.1, §9.4): never partitioned. */
    static final List<String> GLOBAL_TABLES = List.of("ff_config", "ff_signing_key", "ff_lane", "ff_outbox_watermark");

    /** Hot tables (marked P in 01 §9): hash-partitioned on partition_key when P > 1. */
    static final List<String> HOT_TABLES = List.of(
            "ff_exec_core",
            "ff_idempotency", "ff_attempt", "ff_flow_core", "ff_edge", "ff_edge_group", "ff_dependency_input",
            "ff_sibling_cancel", "ff_cancel_backlog", "ff_cancel_backlog_member", "ff_flow_dirty", "ff_flow_summary",
            "ff_suspension", "ff_waitpoint", "ff_signal", "ff_signal_dedup", "ff_suspend_dedup",
            "ff_stream_meta", "ff_stream_frame", "ff_stream_summary", "ff_claim_grant",
            "ff_budget", "ff_budget_dimension", "ff_budget_dedup", "ff_budget_spend",
            "ff_quota_policy", "ff_quota_window", "ff_quota_admission", "ff_worker", "ff_worker_event",
            "ff_completion_event", "ff_lease_event", "ff_signal_event", "ff_operator_event");

    /** Liquibase's own tables, renamed and kept in the engine's schema (01 §9.1). */
    static final List<String> LIQUIBASE_TABLES = List.of("ff_changelog", "ff_changelog_lock");

    static final List<String> OUTBOX_TABLES =
            List.of("ff_completion_event", "ff_lease_event", "ff_signal_event", "ff_operator_event");

    private SchemaFixtures() {
    }

    static SchemaManager manager(TestDatabase db, String schema, int physicalPartitions) {
        return SchemaManager.create(db.jdbcUrl(), db.username(), db.password(), schema, physicalPartitions);
    }

    /** Every ordinary or partitioned table directly in {@code schema} that is not a partition, sorted. */
    static List<String> topLevelTables(TestDatabase db, String schema) {
        return strings(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1", schema);
    }

    /**
     * A textual snapshot of everything a migration could change in {@code schema}: relations, columns, constraints,
     * indexes, functions, the changelog rows and the configuration row.
     */
    static List<String> catalogSnapshot(TestDatabase db, String schema) {
        List<String> snapshot = new ArrayList<>();
        snapshot.addAll(strings(db, "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? ORDER BY 1", schema));
        snapshot.addAll(strings(db, "SELECT table_name || '.' || column_name || ' ' || data_type || ' '"
                + " || is_nullable || ' ' || coalesce(column_default, '') || ' ' || coalesce(generation_expression, '')"
                + " FROM information_schema.columns WHERE table_schema = ? ORDER BY table_name, ordinal_position",
                schema));
        snapshot.addAll(strings(db, "SELECT conrelid::regclass::text || ' ' || conname || ' '"
                + " || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = ?::regnamespace ORDER BY 1",
                '"' + schema + '"'));
        snapshot.addAll(strings(db, "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = ? "
                + "ORDER BY 1", schema));
        snapshot.addAll(strings(db, "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' "
                + "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ? ORDER BY 1",
                schema));
        snapshot.addAll(strings(db, "SELECT id || ' ' || author || ' ' || filename || ' ' || md5sum || ' '"
                + " || orderexecuted || ' ' || dateexecuted FROM \"" + schema + "\".ff_changelog ORDER BY orderexecuted"));
        snapshot.addAll(strings(db, "SELECT logical_partitions || ' ' || physical_partitions || ' ' || schema_version"
                + " || ' ' || created_at_ms FROM \"" + schema + "\".ff_config"));
        return snapshot;
    }

    static List<String> strings(TestDatabase db, String sql, @Nullable Object... params) {
        List<String> values = new ArrayList<>();
        for (Map<String, @Nullable Object> row : db.queryRows(sql, params)) {
            values.add(String.valueOf(row.values().iterator().next()));
        }
        return values;
    }
}
