package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.GLOBAL_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.HOT_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.LIQUIBASE_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.OUTBOX_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.catalogSnapshot;
import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static io.flowfabric.postgres.schema.SchemaFixtures.strings;
import static io.flowfabric.postgres.schema.SchemaFixtures.topLevelTables;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SC-01, SC-02 (schema side) and SC-03 (restart): installing into an empty database and migrating again. */
@FlowFabricPostgres
class SchemaInstallTest {

    private static final String SCHEMA = "flowfabric";
    private static MigrationReport firstInstall;

    @BeforeAll
    static void install(TestDatabase db) {
        firstInstall = manager(db, SCHEMA, 1).migrate();
    }

    @Test
    @DisplayName("SC-01: the schema holds every table of 01 §9 plus ff_changelog and ff_changelog_lock")
    void installsEveryTableInsideTheSchema(TestDatabase db) {
        List<String> expected = new ArrayList<>(GLOBAL_TABLES);
        expected.addAll(HOT_TABLES);
        expected.addAll(LIQUIBASE_TABLES);
        assertThat(topLevelTables(db, SCHEMA)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(firstInstall.changeSetsApplied())
                .isPositive()
                .isEqualTo(db.queryLong("SELECT count(*) FROM flowfabric.ff_changelog"));
    }

    @Test
    @DisplayName("SC-01: nothing lands in public, and no Liquibase table exists outside the schema")
    void nothingOutsideTheSchema(TestDatabase db) {
        assertThat(db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'public'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                + "WHERE n.nspname = 'public'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_class WHERE relname ILIKE 'databasechangelog%'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE c.relname IN ('ff_changelog', 'ff_changelog_lock') AND n.nspname = ?", SCHEMA)).isEqualTo(2);
        // Other tests of this class install further schemas; each keeps its Liquibase tables next to its ff_config.
        assertThat(db.queryLong("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE c.relname IN ('ff_changelog', 'ff_changelog_lock') AND to_regclass(quote_ident(n.nspname) "
                + "|| '.ff_config') IS NULL")).isZero();
    }

    @Test
    @DisplayName("SC-01: now_ms() and ff_public_state() live in the schema; the install helper is gone")
    void functionsLiveInTheSchema(TestDatabase db) {
        assertThat(strings(db, "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '"
                + "|| p.provolatile::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                + "WHERE n.nspname = ? ORDER BY 1", SCHEMA))
                .containsExactly(
                        "ff_public_state(lifecycle text, ownership text, eligibility text, attempt_state text, "
                                + "outcome text) i",
                        "now_ms() s");
    }

    @Test
    @DisplayName("ff_config records 256 logical partitions, P and schema version 1; verify() accepts it")
    void configRow(TestDatabase db) {
        Map<String, @Nullable Object> row = db.queryRows("SELECT * FROM flowfabric.ff_config").get(0);
        assertThat(row).containsEntry("logical_partitions", 256)
                .containsEntry("physical_partitions", 1)
                .containsEntry("schema_version", SchemaManager.REQUIRED_SCHEMA_VERSION);
        assertThat((Long) row.get("created_at_ms")).isPositive();
        manager(db, SCHEMA, 1).verify();
    }

    @Test
    @DisplayName("every changeset is recorded under a pinned logical path flowfabric/v1/..., never a classpath")
    void changeSetsHavePinnedLogicalPaths(TestDatabase db) {
        assertThat(strings(db, "SELECT DISTINCT filename FROM flowfabric.ff_changelog ORDER BY 1"))
                .isNotEmpty()
                .allSatisfy(path -> assertThat(path).matches("flowfabric/v\\d+/\\d{3}-[a-z-]+\\.sql"));
        assertThat(db.queryLong("SELECT count(DISTINCT id) FROM flowfabric.ff_changelog"))
                .isEqualTo(db.queryLong("SELECT count(*) FROM flowfabric.ff_changelog"));
    }

    @Test
    @DisplayName("with P = 1 every hot table is a plain table whose primary key starts with partition_key")
    void hotTablesArePlainAndKeyedByPartition(TestDatabase db) {
        for (String table : HOT_TABLES) {
            assertThat(db.queryValue("SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n "
                    + "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?", SCHEMA, table))
                    .as(table).contains("r");
            assertThat(db.queryValue("SELECT a.attname::text FROM pg_index i "
                    + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                    + "WHERE i.indrelid = ?::regclass AND i.indisprimary", SCHEMA + "." + table))
                    .as(table).contains("partition_key");
            assertThat(db.queryValue("SELECT data_type || ' ' || is_nullable FROM information_schema.columns "
                    + "WHERE table_schema = ? AND table_name = ? AND column_name = 'partition_key'", SCHEMA, table))
                    .as(table).contains("smallint NO");
        }
        for (String table : GLOBAL_TABLES) {
            assertThat(db.queryLong("SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
                    + "AND table_name = ? AND column_name = 'partition_key'", SCHEMA, table)).as(table).isZero();
        }
    }

    @Test
    @DisplayName("the indexes of 01 §9.2 and 04 §1 exist with their partial predicates")
    void indexes(TestDatabase db) {
        assertThat(indexDef(db, "ff_exec_core_claim_idx"))
                .contains("(lane_id, priority DESC, created_at_ms, execution_id)")
                // Since schema v2 the state columns are domains over text: the predicate compares them as text.
                .contains("(lifecycle_phase)::text = 'runnable'").contains("(eligibility_state)::text = 'eligible_now'");
        assertThat(indexDef(db, "ff_exec_core_budget_blocked_idx")).contains("USING gin (budget_ids)")
                .contains("blocked_by_budget");
        for (String outbox : OUTBOX_TABLES) {
            assertThat(strings(db, "SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = ?",
                    SCHEMA, outbox)).as(outbox).anySatisfy(def -> assertThat(def).endsWith("(tx_id, event_id)"));
        }
        assertThat(indexDef(db, "ff_completion_event_undispatched_idx")).contains("(tx_id, event_id)")
                .contains("WHERE (dispatched_at_ms IS NULL)");
        assertThat(indexDef(db, "ff_completion_event_execution_idx")).contains("(partition_key, execution_id)");
        assertThat(indexDef(db, "ff_signing_key_one_active_idx")).startsWith("CREATE UNIQUE INDEX")
                .contains("'active'");
    }

    @Test
    @DisplayName("outbox rows get the writing transaction's xid8 and per-table event ids in insert order")
    void outboxDefaults(TestDatabase db) throws SQLException {
        try (Connection connection = db.openConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                List<long[]> rows = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    try (ResultSet rs = statement.executeQuery("INSERT INTO flowfabric.ff_lease_event "
                            + "(partition_key, occurred_at_ms, namespace, execution_id, attempt_index, lease_epoch, "
                            + "event_type, lease_fingerprint) VALUES (5, flowfabric.now_ms(), 'default', "
                            + "gen_random_uuid(), 0, 1, 'acquired', '0123456789abcdef') "
                            + "RETURNING event_id, tx_id::text::bigint, pg_current_xact_id()::text::bigint")) {
                        rs.next();
                        rows.add(new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)});
                    }
                }
                connection.commit();
                assertThat(rows).allSatisfy(r -> assertThat(r[1]).isEqualTo(r[2]));
                assertThat(rows.get(1)[0]).isGreaterThan(rows.get(0)[0]);
                assertThat(rows.get(2)[0]).isGreaterThan(rows.get(1)[0]);
            }
        }
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_outbox_watermark WHERE tx_id = '0'::xid8 "
                + "AND event_id = 0")).isEqualTo(OUTBOX_TABLES.size());
    }

    @Test
    @DisplayName("now_ms() is the transaction time in ms and follows flowfabric.clock_offset_ms (01 §4)")
    void nowMsFollowsTheClockOffset(TestDatabase db) throws SQLException {
        String drift = "SELECT flowfabric.now_ms() - floor(extract(epoch FROM transaction_timestamp()) * 1000)::bigint";
        try (Connection connection = db.openConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                assertThat(longValue(statement, drift)).isZero();
                statement.execute("SELECT set_config('flowfabric.clock_offset_ms', '60000', true)");
                assertThat(longValue(statement, drift)).isEqualTo(60_000L);
                long first = longValue(statement, "SELECT flowfabric.now_ms()");
                assertThat(longValue(statement, "SELECT flowfabric.now_ms()")).isEqualTo(first);
                connection.commit();
                // set_config(..., true) is transaction-local: the next transaction sees no offset.
                assertThat(longValue(statement, drift)).isZero();
                statement.execute("SELECT set_config('flowfabric.clock_offset_ms', '', true)");
                assertThat(longValue(statement, drift)).isZero();
                statement.execute("SELECT set_config('flowfabric.clock_offset_ms', '-5000', true)");
                assertThat(longValue(statement, drift)).isEqualTo(-5_000L);
                connection.rollback();
            }
        }
    }

    @Test
    @DisplayName("SC-03: migrating again applies nothing, changes nothing and takes well under 1 s")
    void secondMigrationIsANoOp(TestDatabase db) {
        List<String> before = catalogSnapshot(db, SCHEMA);
        MigrationReport again = manager(db, SCHEMA, 1).migrate();
        assertThat(again.changeSetsApplied()).isZero();
        assertThat(again.took()).isLessThan(Duration.ofSeconds(1));
        assertThat(catalogSnapshot(db, SCHEMA)).containsExactlyElementsOf(before);
        MigrationReport third = manager(db, SCHEMA, 1).migrate();
        assertThat(third.changeSetsApplied()).isZero();
        assertThat(third.took()).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    @DisplayName("Liquibase itself finds nothing to run on an installed schema, even behind a stale Liquibase lock")
    void liquibaseRerunIsANoOpAndIgnoresAStaleLock(TestDatabase db) {
        manager(db, "ff_rerun", 1).migrate();
        // Below the required version the manager hands over to Liquibase; a dead migrator left its lock row held.
        db.execute("UPDATE ff_rerun.ff_config SET schema_version = 0");
        db.execute("UPDATE ff_rerun.ff_changelog_lock SET locked = true, lockgranted = now(), lockedby = 'dead-node'");
        List<String> before = catalogSnapshot(db, "ff_rerun");

        MigrationReport rerun = manager(db, "ff_rerun", 1).migrate();

        assertThat(rerun.changeSetsApplied()).isZero();
        assertThat(rerun.took()).isLessThan(Duration.ofSeconds(10));
        assertThat(catalogSnapshot(db, "ff_rerun")).containsExactlyElementsOf(before);
        assertThat(db.queryLong("SELECT count(*) FROM ff_rerun.ff_changelog_lock WHERE locked")).isZero();
    }

    @Test
    @DisplayName("SC-02: schemas ff_a and ff_b coexist in one database with their own changelogs and rows")
    void twoSchemasCoexist(TestDatabase db) {
        assertThat(manager(db, "ff_a", 1).migrate().changeSetsApplied()).isEqualTo(firstInstall.changeSetsApplied());
        assertThat(manager(db, "ff_b", 2).migrate().changeSetsApplied()).isEqualTo(firstInstall.changeSetsApplied());
        manager(db, "ff_a", 1).verify();
        manager(db, "ff_b", 2).verify();
        db.execute("INSERT INTO ff_a.ff_lane (lane_id, first_seen_at_ms) VALUES ('only-in-a', ff_a.now_ms())");
        assertThat(db.queryLong("SELECT count(*) FROM ff_a.ff_lane")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM ff_b.ff_lane")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM ff_a.ff_changelog"))
                .isEqualTo(db.queryLong("SELECT count(*) FROM ff_b.ff_changelog"));
        assertThat(db.queryLong("SELECT physical_partitions FROM ff_b.ff_config")).isEqualTo(2);
        // Generated columns and sequence defaults point into their own schema.
        assertThat(strings(db, "SELECT generation_expression FROM information_schema.columns "
                + "WHERE table_schema = 'ff_b' AND table_name = 'ff_exec_core' AND column_name = 'public_state'"))
                .singleElement().asString().contains("ff_b.ff_public_state(");
        assertThat(strings(db, "SELECT column_default FROM information_schema.columns "
                + "WHERE table_schema = 'ff_a' AND table_name = 'ff_completion_event' AND column_name = 'event_id'"))
                .singleElement().asString().contains("ff_a.ff_completion_event_event_id_seq");
    }

    @Test
    @DisplayName("a schema name that is an SQL keyword works because every object is quoted")
    void reservedWordSchema(TestDatabase db) {
        assertThat(manager(db, "user", 1).migrate().changeSetsApplied()).isPositive();
        manager(db, "user", 1).verify();
        assertThat(db.queryLong("SELECT schema_version FROM \"user\".ff_config"))
                .isEqualTo(SchemaManager.REQUIRED_SCHEMA_VERSION);
    }

    private static String indexDef(TestDatabase db, String index) {
        return strings(db, "SELECT indexdef FROM pg_indexes WHERE schemaname = ? AND indexname = ?", SCHEMA, index)
                .get(0);
    }

    private static long longValue(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
