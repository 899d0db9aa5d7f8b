package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@FlowFabricPostgres
class PostgresServerTest {

    private static final String EXISTS_SQL = "SELECT count(*) FROM pg_database WHERE datname = ?";

    @Test
    void sharedIsOneServerPerJvmEvenUnderConcurrentFirstCalls() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<PostgresServer>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(pool.submit(PostgresServer::shared));
            }
            for (Future<PostgresServer> call : calls) {
                assertThat(call.get(60, TimeUnit.SECONDS)).isSameAs(PostgresServer.shared());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void describesTheServerItStartedOrFound(PostgresServer server, TestDatabase db) {
        assertThat(server.serverVersion()).isNotBlank();
        if (server.kind() != PostgresServer.Kind.EXTERNAL) {
            assertThat(server.serverVersion()).startsWith("17");
            assertThat(db.queryLong("SELECT current_setting('max_connections')::int")).isEqualTo(300);
            assertThat(db.queryLong("SELECT current_setting('max_locks_per_transaction')::int")).isEqualTo(256);
            assertThat(db.queryValue("SELECT current_setting('fsync')")).contains("off");
        }
        assertThat(db.queryValue("SELECT current_setting('server_version')")).contains(server.serverVersion());
        assertThat(server.jdbcUrl("x")).startsWith("jdbc:postgresql://").contains(":" + server.port() + "/x?");
        assertThat(server.r2dbcUrl("x")).startsWith("r2dbc:postgresql://").endsWith(":" + server.port() + "/x");
        assertThat(db.queryValue("SELECT current_user")).contains(server.username());
    }

    @Test
    void concurrentCreateDatabaseGivesDistinctWorkingDatabasesThatCloseDrops(PostgresServer server,
                                                                            TestDatabase observer)
            throws Exception {
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<TestDatabase> created = new ArrayList<>();
        try {
            List<Future<TestDatabase>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<TestDatabase> create = () -> {
                    start.await();
                    return server.createDatabase("Concurrent");
                };
                futures.add(pool.submit(create));
            }
            start.countDown();
            for (Future<TestDatabase> future : futures) {
                created.add(future.get(60, TimeUnit.SECONDS));
            }

            Set<String> names = new HashSet<>();
            for (TestDatabase db : created) {
                names.add(db.name());
                assertThat(db.name()).matches("fft_concurrent_\\d+_[a-z0-9]{6}");
                assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
                db.execute("CREATE TABLE marker (id int)");
                assertThat(db.execute("INSERT INTO marker VALUES (?), (?)", 1, 2)).isEqualTo(2);
                assertThat(observer.queryLong(EXISTS_SQL, db.name())).isEqualTo(1);
            }
            assertThat(names).hasSize(threads);
        } finally {
            pool.shutdownNow();
            created.forEach(TestDatabase::close);
        }

        for (TestDatabase db : created) {
            assertThat(observer.queryLong(EXISTS_SQL, db.name())).as("%s is dropped", db.name()).isZero();
        }
    }

    @Test
    void closeDropsEvenWithOpenConnectionsAndIsIdempotent(PostgresServer server, TestDatabase observer)
            throws Exception {
        TestDatabase db = server.createDatabase("CloseMe");
        try (var open = db.openConnection()) {
            assertThat(open.isValid(5)).isTrue();

            db.close();
            db.close();

            assertThat(observer.queryLong(EXISTS_SQL, db.name())).isZero();
            assertThat(open.isValid(5)).isFalse();
        }
        assertThatThrownBy(() -> db.queryLong("SELECT 1")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(db.name());
    }

    @Test
    void sanitizesTheNameHint(PostgresServer server) {
        try (TestDatabase db = server.createDatabase("Weird Name-With.Dots$Inner")) {
            assertThat(db.name()).matches("fft_weird_name_with_dots_inner_\\d+_[a-z0-9]{6}");
            assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
        }
    }

    @Test
    void databasesAreUtf8(TestDatabase db) {
        assertThat(db.queryValue("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = ?", db.name()))
                .contains("UTF8");
        assertThat(db.queryValue("SELECT ?::text", "grüß 🐘")).contains("grüß 🐘");
    }
}
