package io.flowfabric.postgres.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec 01 §2 and §10: schema names and physical partition counts are checked before anything is contacted. */
class SchemaManagerArgumentsTest {

    private static final String URL = "jdbc:postgresql://localhost:1/none";

    @ParameterizedTest
    @ValueSource(strings = {"flowfabric", "ff_a", "_private", "a", "x123_y",
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstu"})
    void acceptsSchemaNamesMatchingThePattern(String name) {
        assertThat(name.length()).isLessThanOrEqualTo(48);
        assertThat(SchemaManager.isValidSchemaName(name)).isTrue();
        assertThat(SchemaManager.create(URL, "u", "p", name, 1)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "FlowFabric", "1abc", "ff-a", "ff a", "ff.a", "ff\"a", "pg_flowfabric",
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuv"})
    void rejectsOtherSchemaNamesWithAClearMessage(String name) {
        assertThat(SchemaManager.isValidSchemaName(name)).isFalse();
        assertThatThrownBy(() -> SchemaManager.create(URL, "u", "p", name, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid schema name \"" + name + "\"")
                .hasMessageContaining("[a-z_][a-z0-9_]{0,47}");
    }

    @Test
    void nullIsNotASchemaName() {
        assertThat(SchemaManager.isValidSchemaName(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8, 16, 32})
    void acceptsThePhysicalPartitionCountsOfTheSpec(int p) {
        assertThat(SchemaManager.create(URL, null, null, "flowfabric", p).toString()).contains("physicalPartitions=" + p);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 3, 6, 64, 256})
    void rejectsOtherPhysicalPartitionCounts(int p) {
        assertThatThrownBy(() -> SchemaManager.create(URL, "u", "p", "flowfabric", p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("physical partitions must be 1, 2, 4, 8, 16 or 32, got " + p);
    }

    @Test
    void rejectsANonPostgresUrl() {
        assertThatThrownBy(() -> SchemaManager.create("jdbc:mysql://localhost/x", "u", "p", "flowfabric", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql:");
    }

    @Test
    void toStringNeverShowsCredentials() {
        String text = SchemaManager.create(URL, "alice", "s3cret", "flowfabric", 1).toString();
        assertThat(text).contains("flowfabric").doesNotContain("alice").doesNotContain("s3cret");
    }

    @Test
    void migrationReportRejectsNegativeValues() {
        assertThat(new MigrationReport(0, Duration.ZERO).changeSetsApplied()).isZero();
        assertThatThrownBy(() -> new MigrationReport(-1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MigrationReport(1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
