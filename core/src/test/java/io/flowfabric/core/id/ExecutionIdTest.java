package io.flowfabric.core.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExecutionIdTest {

    private static final String UUID_TEXT = "123e4567-e89b-12d3-a456-426614174000";

    @Test
    void parsesAndPrintsTheCanonicalForm() {
        ExecutionId id = ExecutionId.parse("{fp:137}:" + UUID_TEXT);
        assertThat(id.partition()).isEqualTo(137);
        assertThat(id.uuid()).isEqualTo(UUID.fromString(UUID_TEXT));
        assertThat(id).hasToString("{fp:137}:" + UUID_TEXT);
        assertThat(id.partitionLabel()).isEqualTo("{fp:137}");
        assertThat(ExecutionId.parse(id.toString())).isEqualTo(id);
    }

    @Test
    void partitionBoundsZeroAnd255AreValid() {
        assertThat(ExecutionId.parse("{fp:0}:" + UUID_TEXT).partition()).isZero();
        assertThat(ExecutionId.parse("{fp:255}:" + UUID_TEXT).partition()).isEqualTo(255);
        assertThat(ExecutionId.parse("{fp:9}:" + UUID_TEXT).partition()).isEqualTo(9);
    }

    @Test
    @DisplayName("an upper-case UUID is accepted and printed in lower case")
    void upperCaseUuid() {
        ExecutionId id = ExecutionId.parse("{fp:5}:" + UUID_TEXT.toUpperCase());
        assertThat(id).hasToString("{fp:5}:" + UUID_TEXT);
        assertThat(ExecutionId.parse("{fp:5}:123E4567-e89b-12D3-a456-426614174000")).isEqualTo(id);
    }

    @ParameterizedTest
    @DisplayName("VL-03: malformed execution ids are INVALID_ID")
    @ValueSource(strings = {
        "{fp:256}:" + UUID_TEXT,
        "{fp:01}:" + UUID_TEXT,
        "{fp:00}:" + UUID_TEXT,
        "{fp:-1}:" + UUID_TEXT,
        "{fp:+1}:" + UUID_TEXT,
        "{fp:1000}:" + UUID_TEXT,
        "{fp:}:" + UUID_TEXT,
        "{FP:1}:" + UUID_TEXT,
        "{fp:1}" + UUID_TEXT,
        "fp:1:" + UUID_TEXT,
        "{fp: 1}:" + UUID_TEXT,
        " {fp:1}:" + UUID_TEXT,
        "{fp:1}:" + UUID_TEXT + " ",
        "{fp:1}:" + UUID_TEXT + "\n",
        "{fp:1}:123e4567e89b12d3a456426614174000",
        "{fp:1}:1-2-3-4-5",
        "{fp:1}:123e4567-e89b-12d3-a456-42661417400",
        "{fp:1}:123e4567-e89b-12d3-a456-4266141740000",
        "{fp:1}:{123e4567-e89b-12d3-a456-426614174000}",
        "{fp:1}:g23e4567-e89b-12d3-a456-426614174000",
        "{fp:١}:" + UUID_TEXT,
        UUID_TEXT,
        ""
    })
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> ExecutionId.parse(text))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_ID));
    }

    @Test
    void ofChecksTheRangeOnly() {
        UUID uuid = UUID.randomUUID();
        assertThat(ExecutionId.of(3, uuid)).isEqualTo(new ExecutionId(3, uuid));
        assertThatThrownBy(() -> ExecutionId.of(256, uuid))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_ID));
        assertThatThrownBy(() -> ExecutionId.of(-1, uuid)).isInstanceOf(ValidationException.class);
    }

    @Test
    void standaloneIdsLiveInTheirOwnUuidsPartition() {
        for (int i = 0; i < 100; i++) {
            ExecutionId id = ExecutionId.standalone();
            assertThat(id.partition()).isEqualTo(Partitions.ofUuid(id.uuid()));
            assertThat(id.uuid().version()).isEqualTo(4);
        }
    }

    @Test
    void flowMembersLiveInTheFlowsPartition() {
        FlowId flow = FlowId.random();
        for (int i = 0; i < 20; i++) {
            ExecutionId member = ExecutionId.forFlow(flow);
            assertThat(member.partition()).isEqualTo(flow.partition()).isEqualTo(Partitions.ofUuid(flow.uuid()));
            assertThat(member.uuid()).isNotEqualTo(flow.uuid());
        }
    }
}
