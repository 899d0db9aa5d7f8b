package io.flowfabric.core.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class UuidIdsTest {

    private static final String LOWER = "123e4567-e89b-12d3-a456-426614174000";
    private static final String UPPER = LOWER.toUpperCase();

    private record IdType(String name, Function<String, Object> parse, Supplier<Object> random,
            Function<Object, UUID> uuid) {
    }

    private static final List<IdType> TYPES = List.of(
            new IdType("FlowId", FlowId::parse, FlowId::random, id -> ((FlowId) id).uuid()),
            new IdType("AttemptId", AttemptId::parse, AttemptId::random, id -> ((AttemptId) id).uuid()),
            new IdType("EdgeId", EdgeId::parse, EdgeId::random, id -> ((EdgeId) id).uuid()),
            new IdType("BudgetId", BudgetId::parse, BudgetId::random, id -> ((BudgetId) id).uuid()),
            new IdType("QuotaPolicyId", QuotaPolicyId::parse, QuotaPolicyId::random,
                    id -> ((QuotaPolicyId) id).uuid()),
            new IdType("WaitpointId", WaitpointId::parse, WaitpointId::random, id -> ((WaitpointId) id).uuid()),
            new IdType("SuspensionId", SuspensionId::parse, SuspensionId::random,
                    id -> ((SuspensionId) id).uuid()),
            new IdType("SignalId", SignalId::parse, SignalId::random, id -> ((SignalId) id).uuid()),
            new IdType("LeaseId", LeaseId::parse, LeaseId::random, id -> ((LeaseId) id).uuid()));

    @Test
    void everyIdParsesAnyCaseAndPrintsLowerCase() {
        for (IdType type : TYPES) {
            Object upper = type.parse().apply(UPPER);
            assertThat(upper).as(type.name()).hasToString(LOWER);
            assertThat(type.parse().apply(LOWER)).as(type.name()).isEqualTo(upper);
            assertThat(type.uuid().apply(upper)).isEqualTo(UUID.fromString(LOWER));
        }
    }

    @Test
    void everyIdRejectsNonCanonicalText() {
        List<String> bad = List.of("", "1-2-3-4-5", LOWER.replace("-", ""), "{" + LOWER + "}", LOWER + " ",
                "x" + LOWER.substring(1), "{fp:1}:" + LOWER);
        for (IdType type : TYPES) {
            for (String text : bad) {
                assertThatThrownBy(() -> type.parse().apply(text)).as(type.name() + " " + text)
                        .isInstanceOfSatisfying(ValidationException.class,
                                e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_ID));
            }
        }
    }

    @Test
    void randomIdsAreVersion4AndDistinct() {
        for (IdType type : TYPES) {
            if (type.name().equals("LeaseId")) {
                continue;
            }
            Object a = type.random().get();
            Object b = type.random().get();
            assertThat(a).isNotEqualTo(b);
            assertThat(type.uuid().apply(a).version()).as(type.name()).isEqualTo(4);
        }
    }

    @Test
    void partitionedIdsReportTheirUuidPartition() {
        FlowId flow = FlowId.parse(LOWER);
        assertThat(flow.partition()).isEqualTo(137);
        assertThat(BudgetId.parse(LOWER).partition()).isEqualTo(137);
        assertThat(QuotaPolicyId.parse(LOWER).partition()).isEqualTo(137);
    }

    @Test
    void leaseIdsUseAll128BitsWithoutVersionBits() {
        Set<Integer> versions = new HashSet<>();
        Set<LeaseId> seen = new HashSet<>();
        for (int i = 0; i < 256; i++) {
            LeaseId id = LeaseId.random();
            versions.add(id.uuid().version());
            assertThat(seen.add(id)).isTrue();
            assertThat(LeaseId.parse(id.toString())).isEqualTo(id);
        }
        // With version bits forced every id would report version 4; 256 random nibbles hit many values.
        assertThat(versions).hasSizeGreaterThan(4);
    }

    @Test
    void leaseFingerprintIsTheFirst16HexOfSha256OfTheText() {
        assertThat(LeaseId.parse("00000000-0000-0000-0000-000000000000").fingerprint())
                .isEqualTo("12b9377cbe7e5c94");
        assertThat(LeaseId.parse(UPPER).fingerprint()).isEqualTo("986c0dc956dc822b");
        assertThat(LeaseId.random().fingerprint()).hasSize(16).matches("[0-9a-f]{16}");
    }

    @Test
    void leaseIdParseErrorsDoNotEchoTheText() {
        String secretish = "deadbeef-dead-beef-dead-beefdeadbee";
        assertThatThrownBy(() -> LeaseId.parse(secretish))
                .isInstanceOf(ValidationException.class)
                .hasMessageNotContaining(secretish);
    }
}
