package io.flowfabric.postgres;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The builder rejects settings out of range before it creates a pool or touches a server. */
class EngineBuilderTest {

    private static PostgresEngine.Builder builder() {
        // Nothing listens here: a builder that validated late would fail on connecting instead.
        return PostgresEngine.builder().url("r2dbc:postgresql://user:pw@127.0.0.1:1/none");
    }

    @Test
    @DisplayName("groupCommitConcurrency outside 1..64 is an IllegalArgumentException naming the setting")
    void groupCommitConcurrencyOutOfRange() {
        for (int bad : new int[] {0, -1, 65}) {
            assertThatThrownBy(() -> builder().groupCommitConcurrency(bad).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("groupCommitConcurrency");
        }
    }

    @Test
    @DisplayName("pool sizes with initial above max are rejected")
    void poolSizesOutOfOrder() {
        assertThatThrownBy(() -> builder().poolSize(5, 4).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pool sizes");
    }
}
