package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

@FlowFabricPostgres
class TestDatabaseTest {

    @BeforeAll
    static void createTable(TestDatabase db) {
        db.execute("CREATE TABLE item (id bigint PRIMARY KEY, label text, created_at timestamptz)");
    }

    @Test
    void executeBindsParametersAndReturnsTheUpdateCount(TestDatabase db) {
        assertThat(db.execute("INSERT INTO item (id, label) VALUES (?, ?), (?, ?)", 101L, "a", 102L, null))
                .isEqualTo(2);
        assertThat(db.execute("UPDATE item SET label = ? WHERE id IN (?, ?)", "b", 101L, 102L)).isEqualTo(2);
        assertThat(db.execute("DELETE FROM item WHERE id = ?", 999L)).isZero();
    }

    @Test
    void valuesAreBoundNeverSpliced(TestDatabase db) {
        String hostile = "x'); DROP TABLE item; --";
        db.execute("INSERT INTO item (id, label) VALUES (?, ?)", 201L, hostile);

        assertThat(db.queryValue("SELECT label FROM item WHERE id = ?", 201L)).contains(hostile);
        assertThat(db.queryLong("SELECT count(*) FROM item WHERE id = ?", 201L)).isEqualTo(1);
    }

    @Test
    void instantsAreBoundAsTimestamptz(TestDatabase db) {
        Instant at = Instant.parse("2024-02-29T12:34:56.789Z");
        db.execute("INSERT INTO item (id, created_at) VALUES (?, ?)", 301L, at);

        assertThat(db.queryLong("SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM item WHERE id = ?",
                301L)).isEqualTo(at.toEpochMilli());
    }

    @Test
    void queryRowsReturnsOrderedLabelToValueMaps(TestDatabase db) {
        db.execute("INSERT INTO item (id, label) VALUES (?, ?), (?, ?), (?, ?)", 403L, "c", 401L, "a", 402L, null);

        List<Map<String, Object>> rows = db.queryRows(
                "SELECT label AS zeta, id AS alpha FROM item WHERE id BETWEEN ? AND ? ORDER BY id", 401L, 403L);

        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).isInstanceOf(LinkedHashMap.class);
        assertThat(rows.get(0).keySet()).containsExactly("zeta", "alpha");
        assertThat(rows.get(0)).containsEntry("zeta", "a").containsEntry("alpha", 401L);
        assertThat(rows.get(1)).containsEntry("zeta", null).containsEntry("alpha", 402L);
        assertThat(rows.get(2)).containsEntry("zeta", "c");
    }

    @Test
    void queryRowsRejectsDuplicateLabels(TestDatabase db) {
        assertThatThrownBy(() -> db.queryRows("SELECT 1 AS x, 2 AS x"))
                .isInstanceOf(PostgresTestException.class)
                .hasMessageContaining("'x'");
    }

    @Test
    void queryLongNeedsExactlyOneNumericRow(TestDatabase db) {
        assertThat(db.queryLong("SELECT 40 + ?", 2)).isEqualTo(42L);
        assertThatThrownBy(() -> db.queryLong("SELECT 1 WHERE false"))
                .isInstanceOf(PostgresTestException.class).hasMessageContaining("0 rows");
        assertThatThrownBy(() -> db.queryLong("SELECT generate_series(1, 2)"))
                .isInstanceOf(PostgresTestException.class).hasMessageContaining("2 rows");
        assertThatThrownBy(() -> db.queryLong("SELECT NULL::int"))
                .isInstanceOf(PostgresTestException.class).hasMessageContaining("NULL");
        assertThatThrownBy(() -> db.queryLong("SELECT 'text'"))
                .isInstanceOf(PostgresTestException.class).hasMessageContaining("expected a number");
    }

    @Test
    void queryValueIsEmptyForNoRowAndForNull(TestDatabase db) {
        assertThat(db.queryValue("SELECT 'v'")).contains("v");
        assertThat(db.queryValue("SELECT 1 WHERE false")).isEmpty();
        assertThat(db.queryValue("SELECT NULL")).isEmpty();
        assertThatThrownBy(() -> db.queryValue("SELECT generate_series(1, 2)"))
                .isInstanceOf(PostgresTestException.class);
    }

    @Test
    void failuresCarryTheSqlState(TestDatabase db) {
        assertThatThrownBy(() -> db.execute("INSERT INTO no_such_table VALUES (1)"))
                .asInstanceOf(type(PostgresTestException.class))
                .satisfies(e -> assertThat(e.sqlState()).contains("42P01"))
                .satisfies(e -> assertThat(e).hasCauseInstanceOf(SQLException.class));
    }

    @Test
    void terminateBackendsKillsOnlyTheNamedApplicationsConnections(TestDatabase db) throws SQLException {
        try (java.sql.Connection victim = connect(db, "victim");
             java.sql.Connection bystander = connect(db, "bystander");
             java.sql.Connection helper = db.openConnection()) {
            assertThat(selectOne(victim)).isEqualTo(1);

            assertThat(db.terminateBackends("victim")).isEqualTo(1);

            assertThatThrownBy(() -> selectOne(victim)).isInstanceOf(SQLException.class);
            assertThat(selectOne(bystander)).isEqualTo(1);
            assertThat(selectOne(helper)).isEqualTo(1);
            assertThat(db.terminateBackends("victim")).isZero();
        }
    }

    @Test
    void terminateBackendsLeavesOtherDatabasesAlone(PostgresServer server, TestDatabase db) throws SQLException {
        try (TestDatabase other = server.createDatabase("Other");
             java.sql.Connection elsewhere = connect(other, "victim")) {
            assertThat(db.terminateBackends("victim")).isZero();
            assertThat(selectOne(elsewhere)).isEqualTo(1);
        }
    }

    @Test
    void terminateAllOtherBackendsKillsEveryOtherConnection(PostgresServer server) throws SQLException {
        try (TestDatabase db = server.createDatabase("TerminateAll");
             java.sql.Connection first = connect(db, "engine-a");
             java.sql.Connection second = db.openConnection()) {
            assertThat(db.terminateAllOtherBackends()).isGreaterThanOrEqualTo(2);

            assertThatThrownBy(() -> selectOne(first)).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> selectOne(second)).isInstanceOf(SQLException.class);
            assertThat(db.queryLong("SELECT 1")).isEqualTo(1);
        }
    }

    @Test
    void r2dbcUrlConnectsWithTheR2dbcDriver(TestDatabase db) {
        String database = Mono.usingWhen(
                        Mono.from(ConnectionFactories.get(db.r2dbcUrl()).create()),
                        (Connection connection) -> Mono.from(connection.createStatement("SELECT current_database()")
                                        .execute())
                                .flatMap(result -> Mono.from(result.map((row, meta) -> row.get(0, String.class)))),
                        Connection::close)
                .block(Duration.ofSeconds(30));

        assertThat(database).isEqualTo(db.name());
    }

    @Test
    void jdbcUrlWorksWithoutFurtherCredentials(TestDatabase db) throws SQLException {
        try (java.sql.Connection connection = DriverManager.getConnection(db.jdbcUrl())) {
            assertThat(selectOne(connection)).isEqualTo(1);
        }
        assertThat(db.jdbcUrl()).isEqualTo(db.server().jdbcUrl(db.name()));
        assertThat(db.r2dbcUrl()).isEqualTo(db.server().r2dbcUrl(db.name()));
        assertThat(db.host()).isEqualTo(db.server().host());
        assertThat(db.port()).isEqualTo(db.server().port());
        assertThat(db.username()).isEqualTo(db.server().username());
        assertThat(db.password()).isEqualTo(db.server().password());
    }

    private static java.sql.Connection connect(TestDatabase db, String applicationName) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(db.jdbcUrl(), properties);
    }

    private static int selectOne(java.sql.Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             var resultSet = statement.executeQuery("SELECT 1")) {
            resultSet.next();
            return resultSet.getInt(1);
        }
    }
}
