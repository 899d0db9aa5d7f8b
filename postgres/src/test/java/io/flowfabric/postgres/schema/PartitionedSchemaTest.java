package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.GLOBAL_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.HOT_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.LIQUIBASE_TABLES;
import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static io.flowfabric.postgres.schema.SchemaFixtures.strings;
import static io.flowfabric.postgres.schema.SchemaFixtures.topLevelTables;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SC-07: an install with 8 physical partitions. */
@FlowFabricPostgres
class PartitionedSchemaTest {

    private static final String SCHEMA = "ff_p8";
    private static final int P = 8;

    @BeforeAll
    static void install(TestDatabase db) {
        manager(db, SCHEMA, P).migrate();
    }

    @Test
    @DisplayName("SC-07: every hot table is hash-partitioned on partition_key into 8 partitions <table>_p0..p7")
    void everyHotTableHasEightHashPartitions(TestDatabase db) {
        for (String table : HOT_TABLES) {
            String qualified = SCHEMA + "." + table;
            assertThat(db.queryValue("SELECT pg_get_partkeydef(?::regclass)", qualified))
                    .as(table).contains("HASH (partition_key)");
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < P; i++) {
                expected.add(table + "_p" + i + " FOR VALUES WITH (modulus 8, remainder " + i + ")");
            }
            assertThat(strings(db, "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) "
                    + "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    + "WHERE i.inhparent = ?::regclass ORDER BY c.relname", qualified))
                    .as(table).containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    @Test
    @DisplayName("SC-07: global tables are never partitioned, and ff_config says 8")
    void globalTablesStayPlain(TestDatabase db) {
        List<String> plain = new ArrayList<>(GLOBAL_TABLES);
        plain.addAll(LIQUIBASE_TABLES);
        for (String table : plain) {
            assertThat(db.queryValue("SELECT relkind::text FROM pg_class WHERE oid = ?::regclass",
                    SCHEMA + "." + table)).as(table).contains("r");
        }
        List<String> expected = new ArrayList<>(plain);
        expected.addAll(HOT_TABLES);
        assertThat(topLevelTables(db, SCHEMA)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(db.queryLong("SELECT physical_partitions FROM ff_p8.ff_config")).isEqualTo(P);
        manager(db, SCHEMA, P).verify();
    }

    @Test
    @DisplayName("SC-07: indexes created on a parent exist on every partition")
    void indexesCascadeToPartitions(TestDatabase db) {
        for (String index : List.of("ff_exec_core_claim_idx", "ff_exec_core_budget_blocked_idx",
                "ff_completion_event_undispatched_idx", "ff_stream_frame_best_effort_idx")) {
            assertThat(db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = ?::regclass",
                    SCHEMA + "." + index)).as(index).isEqualTo(P);
        }
    }

    @Test
    @DisplayName("SC-07: rows route to a partition, and one statement reads across all of them")
    void rowsRouteAcrossPartitions(TestDatabase db) {
        for (int key = 0; key < 256; key += 15) {
            db.execute("INSERT INTO ff_p8.ff_exec_core (partition_key, execution_id, namespace, lane_id, "
                    + "execution_kind, input_payload, input_encoding, policy, lifecycle_phase, ownership_state, "
                    + "eligibility_state, blocking_reason, terminal_outcome, attempt_state, created_at_ms, "
                    + "last_mutation_at_ms) VALUES (?, gen_random_uuid(), 'default', 'lane', 'default', "
                    + "'\\x'::bytea, 'binary', '{}', 'runnable', 'unowned', 'eligible_now', 'waiting_for_worker', "
                    + "'none', 'pending_first_attempt', ff_p8.now_ms(), ff_p8.now_ms())", key);
        }
        assertThat(db.queryLong("SELECT count(DISTINCT tableoid) FROM ff_p8.ff_exec_core")).isGreaterThan(1);
        assertThat(db.queryLong("SELECT count(*) FROM ff_p8.ff_exec_core WHERE public_state = 'waiting'"))
                .isEqualTo(18);
    }
}
