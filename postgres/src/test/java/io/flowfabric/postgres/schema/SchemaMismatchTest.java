package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.catalogSnapshot;
import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestDatabase;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SC-04: every mismatch between the database and the library or its configuration refuses to start. */
@FlowFabricPostgres
class SchemaMismatchTest {

    @Test
    @DisplayName("SC-04: a changed logical partition count in ff_config is a SCHEMA_MISMATCH")
    void changedLogicalPartitions(TestDatabase db) {
        manager(db, "ff_logical", 1).migrate();
        db.execute("UPDATE ff_logical.ff_config SET logical_partitions = 128");

        assertSchemaMismatch(() -> manager(db, "ff_logical", 1).verify(),
                "ff_config.logical_partitions is 128 in schema \"ff_logical\" but FlowFabric requires exactly 256");
    }

    @Test
    @DisplayName("SC-04: an older schema version is a SCHEMA_MISMATCH that says to run migrations")
    void olderSchemaVersion(TestDatabase db) {
        manager(db, "ff_older", 1).migrate();
        db.execute("UPDATE ff_older.ff_config SET schema_version = 0");

        assertSchemaMismatch(() -> manager(db, "ff_older", 1).verify(),
                "database schema is at version 0 but this library needs " + SchemaManager.REQUIRED_SCHEMA_VERSION
                        + ": run migrations (migrate=true)");
    }

    @Test
    @DisplayName("SC-04: a newer schema version is a SCHEMA_MISMATCH that says to upgrade FlowFabric")
    void newerSchemaVersion(TestDatabase db) {
        manager(db, "ff_newer", 1).migrate();
        int newer = SchemaManager.REQUIRED_SCHEMA_VERSION + 1;
        db.execute("UPDATE ff_newer.ff_config SET schema_version = " + newer);

        assertSchemaMismatch(() -> manager(db, "ff_newer", 1).verify(), "database schema version " + newer
                + " is newer than this library (" + SchemaManager.REQUIRED_SCHEMA_VERSION + "): upgrade FlowFabric");
        // Migrating with the older library does not downgrade or touch it.
        assertThat(manager(db, "ff_newer", 1).migrate().changeSetsApplied()).isZero();
        assertThat(db.queryLong("SELECT schema_version FROM ff_newer.ff_config")).isEqualTo(newer);
    }

    @Test
    @DisplayName("SC-04: a different physical partition setting is refused by verify and by migrate, which changes nothing")
    void differentPhysicalPartitions(TestDatabase db) {
        manager(db, "ff_p", 1).migrate();
        List<String> before = catalogSnapshot(db, "ff_p");
        String message = "schema \"ff_p\" was installed with 1 physical partitions but the engine is configured "
                + "with 8: the physical partition count cannot change after install";

        assertSchemaMismatch(() -> manager(db, "ff_p", 8).verify(), message);
        assertSchemaMismatch(() -> manager(db, "ff_p", 8).migrate(), message);

        assertThat(catalogSnapshot(db, "ff_p")).containsExactlyElementsOf(before);
        manager(db, "ff_p", 1).verify();
    }

    @Test
    @DisplayName("SC-04: verify on a schema that was never migrated is a SCHEMA_MISMATCH that says to migrate")
    void notInstalled(TestDatabase db) {
        assertSchemaMismatch(() -> manager(db, "ff_missing", 1).verify(),
                "schema \"ff_missing\" holds no FlowFabric installation (no ff_config table): "
                        + "run migrations (migrate=true)");
        assertThat(db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'ff_missing'"))
                .as("verify never creates anything").isZero();
    }

    @Test
    @DisplayName("a failing changeset is Unavailable(DATABASE_ERROR) naming it; the half-done install never verifies "
            + "and the next migrate finishes it")
    void interruptedInstallResumes(TestDatabase db) {
        db.execute("CREATE SCHEMA ff_broken");
        db.execute("CREATE TABLE ff_broken.ff_lane (in_the_way integer)");

        assertThatThrownBy(() -> manager(db, "ff_broken", 1).migrate())
                .isInstanceOfSatisfying(UnavailableException.class, e -> {
                    assertThat(e.kind()).isEqualTo(UnavailableException.Kind.DATABASE_ERROR);
                    assertThat(e.detail()).startsWith("migration of schema \"ff_broken\" failed: ")
                            .contains("v1-002-lane");
                });
        assertSchemaMismatch(() -> manager(db, "ff_broken", 1).verify(),
                "database schema is at version 0 but this library needs " + SchemaManager.REQUIRED_SCHEMA_VERSION
                        + ": run migrations (migrate=true)");

        db.execute("DROP TABLE ff_broken.ff_lane");
        MigrationReport resumed = manager(db, "ff_broken", 1).migrate();

        long total = db.queryLong("SELECT count(*) FROM ff_broken.ff_changelog");
        assertThat(resumed.changeSetsApplied()).isPositive().isLessThan((int) total);
        manager(db, "ff_broken", 1).verify();
    }

    @Test
    @DisplayName("an unreachable database is Unavailable(TRANSPORT), not a mismatch")
    void unreachableDatabase() {
        SchemaManager manager = SchemaManager.create("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2",
                "nobody", "nothing", "flowfabric", 1);
        assertThatThrownBy(manager::verify)
                .isInstanceOfSatisfying(UnavailableException.class, e -> {
                    assertThat(e.kind()).isEqualTo(UnavailableException.Kind.TRANSPORT);
                    assertThat(e.retryable()).isTrue();
                });
        assertThatThrownBy(manager::migrate)
                .isInstanceOfSatisfying(UnavailableException.class,
                        e -> assertThat(e.kind()).isEqualTo(UnavailableException.Kind.TRANSPORT));
    }

    private static void assertSchemaMismatch(ThrowingCallable call, String detail) {
        assertThatThrownBy(call).isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.kind()).isEqualTo(UnavailableException.Kind.SCHEMA_MISMATCH);
            assertThat(e.retryable()).isFalse();
            assertThat(e.detail()).isEqualTo(detail);
            assertThat(e.getMessage()).isEqualTo("UNAVAILABLE(SCHEMA_MISMATCH): " + detail);
        });
    }
}
