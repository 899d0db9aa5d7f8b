package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Completed;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.PostgresTestException;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upgrading a populated schema from version 1 (CHECK lists, SQL public-state function) to version 2 (domains,
 * plpgsql public state): the rows and their public states survive, the rules still hold, and an engine of this
 * library works on the upgraded schema.
 */
@FlowFabricPostgres
class SchemaUpgradeTest {

    private static final String V1_CHANGELOG = "io/flowfabric/postgres/db/test/v1-changelog.xml";

    /** A runnable (waiting), a delayed and a completed execution, written as version 1 stored them. */
    private static final String ROWS = """
            INSERT INTO %1$s.ff_exec_core (partition_key, execution_id, namespace, lane_id, execution_kind,
                input_payload, input_encoding, policy, lifecycle_phase, ownership_state, eligibility_state,
                blocking_reason, attempt_state, terminal_outcome, attempt_count, current_attempt_index,
                created_at_ms, last_mutation_at_ms, delay_until_ms, terminal_at_ms)
            VALUES
              (7, 'a0000000-0000-4000-8000-000000000001', 'default', '%2$s', 'default', '\\x01', 'binary', '{}',
               'runnable', 'unowned', 'eligible_now', 'waiting_for_worker', 'pending_first_attempt', 'none', 0, NULL,
               %1$s.now_ms(), %1$s.now_ms(), NULL, NULL),
              (7, 'a0000000-0000-4000-8000-000000000002', 'default', '%2$s', 'default', '\\x02', 'binary', '{}',
               'runnable', 'unowned', 'not_eligible_until_time', 'waiting_for_delay', 'pending_first_attempt',
               'none', 0, NULL, %1$s.now_ms(), %1$s.now_ms(), %1$s.now_ms() + 3600000, NULL),
              (9, 'a0000000-0000-4000-8000-000000000003', 'default', '%2$s', 'default', '\\x03', 'binary', '{}',
               'terminal', 'unowned', 'not_applicable', 'none', 'attempt_terminal', 'success', 1, 0,
               %1$s.now_ms(), %1$s.now_ms(), NULL, %1$s.now_ms())""";

    @ParameterizedTest(name = "P = {0}")
    @ValueSource(ints = {1, 4})
    @DisplayName("a populated version-1 schema upgrades to version 2: rows, public states and rules survive, the engine works on it")
    void populatedVersionOneUpgrades(int partitions, TestDatabase db, TestClock clock) {
        String schema = "ff_upgrade_p" + partitions;
        String lane = "upgrade-" + partitions;
        assertThat(manager(db, schema, partitions).withChangelog(V1_CHANGELOG).migrate().changeSetsApplied())
                .isPositive();
        assertThat(db.queryLong("SELECT schema_version FROM " + schema + ".ff_config")).isEqualTo(1);
        db.execute(ROWS.formatted(schema, lane));

        assertThat(manager(db, schema, partitions).migrate().changeSetsApplied()).as("the v2 changesets").isPositive();
        manager(db, schema, partitions).verify();

        assertThat(db.queryLong("SELECT schema_version FROM " + schema + ".ff_config"))
                .isEqualTo(SchemaManager.REQUIRED_SCHEMA_VERSION);
        List<Map<String, Object>> rows = db.queryRows("SELECT execution_id::text AS id, public_state,"
                + " encode(input_payload, 'hex') AS input FROM " + schema + ".ff_exec_core ORDER BY execution_id");
        assertThat(rows).extracting(r -> r.get("public_state")).containsExactly("waiting", "delayed", "completed");
        assertThat(rows).extracting(r -> r.get("input")).containsExactly("01", "02", "03");
        assertThat(db.queryRows("SELECT column_name, domain_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = 'ff_exec_core' AND domain_name IS NOT NULL"
                + " ORDER BY column_name", schema))
                .extracting(r -> r.get("column_name") + ":" + r.get("domain_name"))
                .containsExactly("attempt_state:ff_attempt_state", "blocking_reason:ff_blocking_reason",
                        "eligibility_state:ff_eligibility_state", "lifecycle_phase:ff_lifecycle_phase",
                        "ownership_state:ff_ownership_state", "public_state:ff_public_state_literal",
                        "terminal_outcome:ff_terminal_outcome");
        // The literal rule still holds, under its old name.
        assertThatThrownBy(() -> db.execute("UPDATE " + schema + ".ff_exec_core SET lifecycle_phase = 'running'"
                + " WHERE execution_id = 'a0000000-0000-4000-8000-000000000001'"))
                .isInstanceOfSatisfying(PostgresTestException.class, e -> {
                    assertThat(e.sqlState()).contains("23514");
                    assertThat(e.getMessage()).contains("ff_exec_core_lifecycle_phase_check");
                });

        PostgresEngine engine = EngineFixture.start(db, clock, b -> b.schema(schema).physicalPartitions(partitions));
        try {
            ClaimedExecution claimed = EngineFixture.await(engine.workers().claim(
                    ClaimRequest.builder("upgrade-worker", "upgrade-worker-1").lane(lane).leaseTtl(Duration.ofSeconds(30)).build()));
            assertThat(claimed.executionId().uuid().toString()).isEqualTo("a0000000-0000-4000-8000-000000000001");
            Completed completed = EngineFixture.await(engine.workers().complete(claimed.fence(), null, null));
            assertThat(completed.publicState()).isEqualTo(PublicState.COMPLETED);
        } finally {
            engine.close();
        }
    }
}
