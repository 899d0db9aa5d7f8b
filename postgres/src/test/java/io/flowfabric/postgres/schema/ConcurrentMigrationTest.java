package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.catalogSnapshot;
import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.testing.PostgresServer;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SC-03 [IDEM][RACE]: three nodes starting at once on a fresh database. */
class ConcurrentMigrationTest {

    private static final int NODES = 3;

    @Test
    @DisplayName("SC-03: three concurrent migrations of a fresh schema all succeed and apply it exactly once")
    void threeNodesMigrateAtOnce() throws Exception {
        try (TestDatabase db = PostgresServer.shared().createDatabase("concurrent_migration")) {
            List<MigrationReport> reports = migrateConcurrently(db, "flowfabric", 1);

            int total = (int) db.queryLong("SELECT count(*) FROM flowfabric.ff_changelog");
            assertThat(total).isPositive();
            assertThat(reports).extracting(MigrationReport::changeSetsApplied)
                    .containsExactlyInAnyOrder(total, 0, 0);
            assertThat(db.queryLong("SELECT count(DISTINCT id) FROM flowfabric.ff_changelog")).isEqualTo(total);
            assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_config")).isEqualTo(1);
            manager(db, "flowfabric", 1).verify();

            // A later restart of any node applies nothing, changes nothing and is quick.
            List<String> before = catalogSnapshot(db, "flowfabric");
            MigrationReport restart = manager(db, "flowfabric", 1).migrate();
            assertThat(restart.changeSetsApplied()).isZero();
            assertThat(restart.took()).isLessThan(Duration.ofSeconds(1));
            assertThat(catalogSnapshot(db, "flowfabric")).containsExactlyElementsOf(before);
        }
    }

    @Test
    @DisplayName("SC-03: concurrent migrations of a fresh partitioned schema (P = 4) also apply it exactly once")
    void threeNodesMigrateAPartitionedSchemaAtOnce() throws Exception {
        try (TestDatabase db = PostgresServer.shared().createDatabase("concurrent_migration_p4")) {
            List<MigrationReport> reports = migrateConcurrently(db, "ff_p4", 4);
            int total = (int) db.queryLong("SELECT count(*) FROM ff_p4.ff_changelog");
            assertThat(reports).extracting(MigrationReport::changeSetsApplied)
                    .containsExactlyInAnyOrder(total, 0, 0);
            manager(db, "ff_p4", 4).verify();
        }
    }

    private static List<MigrationReport> migrateConcurrently(TestDatabase db, String schema, int p)
            throws Exception {
        CyclicBarrier start = new CyclicBarrier(NODES);
        ExecutorService pool = Executors.newFixedThreadPool(NODES);
        try {
            List<Future<MigrationReport>> futures = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                // Each "node" has its own manager and connection, as separate processes would.
                SchemaManager node = manager(db, schema, p);
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return node.migrate();
                }));
            }
            List<MigrationReport> reports = new ArrayList<>();
            for (Future<MigrationReport> future : futures) {
                reports.add(future.get(120, TimeUnit.SECONDS));
            }
            return reports;
        } finally {
            pool.shutdownNow();
        }
    }
}
