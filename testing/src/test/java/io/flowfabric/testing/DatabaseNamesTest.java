package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DatabaseNamesTest {

    @Test
    void sanitizesHintsToSnakeCaseIdentifierCharacters() {
        assertThat(DatabaseNames.sanitize("TestDatabaseTest")).isEqualTo("test_database_test");
        assertThat(DatabaseNames.sanitize("My Weird-Name!  v2")).isEqualTo("my_weird_name_v2");
        assertThat(DatabaseNames.sanitize("Ünïcode$Inner")).isEqualTo("n_code_inner");
        assertThat(DatabaseNames.sanitize("__")).isEqualTo("db");
        assertThat(DatabaseNames.sanitize("")).isEqualTo("db");
    }

    @Test
    void uniqueNamesHavePrefixCounterAndRandomSuffix() {
        String name = DatabaseNames.unique("FlowsTest", 42, new Random(7));

        assertThat(name).matches("fft_flows_test_42_[a-z0-9]{6}");
    }

    @Test
    void longHintsAreCutToPostgresIdentifierLimit() {
        String name = DatabaseNames.unique("A".repeat(40) + "VeryLongTestClassNameThatGoesOnAndOn",
                Long.MAX_VALUE, new Random(7));

        assertThat(name).hasSize(DatabaseNames.MAX_LENGTH).startsWith("fft_").matches("[a-z0-9_]+")
                .contains("_" + Long.MAX_VALUE + "_");
    }
}
