package io.flowfabric.core.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.error.ValidationException.Kind;
import io.flowfabric.core.id.ExecutionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InputRulesTest {

    private static final String UUID_TEXT = "123e4567-e89b-12d3-a456-426614174000";

    // ------------------------------------------------------------------ acceptance scenarios

    @Test
    @DisplayName("VL-01: Upper.x, nodot and trailing. are INVALID_TAG_KEY; cairn.instance_id is accepted")
    void vl01TagKeys() {
        for (String key : List.of("Upper.x", "nodot", "trailing.")) {
            assertKind(() -> InputRules.tagKey(key), Kind.INVALID_TAG_KEY);
        }
        assertThat(InputRules.tagKey("cairn.instance_id")).isEqualTo("cairn.instance_id");
    }

    @Test
    @DisplayName("VL-02: capabilities a,b / a b / a control character are INVALID_CAPABILITY; 257 tokens exceed")
    void vl02Capabilities() {
        assertKind(() -> InputRules.capabilities(List.of("a,b")), Kind.INVALID_CAPABILITY);
        assertKind(() -> InputRules.capabilities(List.of("a b")), Kind.INVALID_CAPABILITY);
        assertKind(() -> InputRules.capabilities(List.of("a\u0001b")), Kind.INVALID_CAPABILITY);
        assertKind(() -> InputRules.capabilities(tokens(257)), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.capabilities(tokens(256))).hasSize(256);
    }

    @Test
    @DisplayName("VL-03: a 65-byte lane and a lane with a control character are INVALID_LANE; "
            + "{fp:256} and {fp:01} are INVALID_ID")
    void vl03LanesAndIds() {
        assertKind(() -> InputRules.lane("x".repeat(65)), Kind.INVALID_LANE);
        assertKind(() -> InputRules.lane("lane\u0007"), Kind.INVALID_LANE);
        assertThat(InputRules.lane("x".repeat(64))).hasSize(64);
        assertKind(() -> ExecutionId.parse("{fp:256}:" + UUID_TEXT), Kind.INVALID_ID);
        assertKind(() -> ExecutionId.parse("{fp:01}:" + UUID_TEXT), Kind.INVALID_ID);
    }

    @Test
    @DisplayName("VL-04: input of 1 MiB is accepted, 1 MiB + 1 and a signal payload of 256 KiB + 1 exceed")
    void vl04Payloads() {
        assertThat(InputRules.maxBytes("input", new byte[1_048_576], Limits.MAX_INPUT_BYTES)).hasSize(1_048_576);
        assertThatThrownBy(() -> InputRules.maxBytes("input", new byte[1_048_577], Limits.MAX_INPUT_BYTES))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.LIMIT_EXCEEDED);
                    assertThat(e.detail()).contains("input").contains("1048576");
                });
        assertKind(() -> InputRules.maxBytes("signal payload", 256 * 1024 + 1, Limits.MAX_SIGNAL_PAYLOAD_BYTES),
                Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.maxBytes("signal payload", 256 * 1024, Limits.MAX_SIGNAL_PAYLOAD_BYTES))
                .isEqualTo(262_144);
    }

    @Test
    @DisplayName("VL-05: limit 1001 on a list exceeds; expired leases accept 10 000 and reject 10 001")
    void vl05PageLimits() {
        assertKind(() -> InputRules.pageLimit(1001, Limits.PAGE_MAX), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.pageLimit(1000, Limits.PAGE_MAX)).isEqualTo(1000);
        assertThat(InputRules.pageLimit(10_000, Limits.EXPIRED_LEASES_PAGE_MAX)).isEqualTo(10_000);
        assertKind(() -> InputRules.pageLimit(10_001, Limits.EXPIRED_LEASES_PAGE_MAX), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.pageLimit(0, Limits.PAGE_MAX)).isZero();
        assertKind(() -> InputRules.pageLimit(-1, Limits.PAGE_MAX), Kind.INVALID_INPUT);
    }

    @Test
    @DisplayName("VL-07 support: a null required value is a ValidationException of the field's kind")
    void nullsAreValidationErrors() {
        assertKind(() -> InputRules.lane(null), Kind.INVALID_LANE);
        assertKind(() -> InputRules.namespace(null), Kind.INVALID_NAMESPACE);
        assertKind(() -> InputRules.workerId("workerId", null), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.executionKind(null), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.tagKey(null), Kind.INVALID_TAG_KEY);
        assertKind(() -> InputRules.tagValue(null), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.encoding(null), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.kid(null), Kind.INVALID_KID);
        assertKind(() -> InputRules.maxBytes("input", (byte[]) null, 10), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.leaseTtl(null), Kind.INVALID_INPUT);
        List<String> withNull = new ArrayList<>();
        withNull.add(null);
        assertKind(() -> InputRules.capabilities(withNull), Kind.INVALID_CAPABILITY);
    }

    // ------------------------------------------------------------------ names and identifiers

    @Test
    void lanes() {
        assertThat(InputRules.lane("emails")).isEqualTo("emails");
        assertThat(InputRules.lane("a b~!")).isEqualTo("a b~!");
        assertThat(InputRules.lane("A")).isEqualTo("A");
        for (String bad : List.of("", " lead", "trail ", " ", "tab\there", "é", "del\u007f")) {
            assertKind(() -> InputRules.lane(bad), Kind.INVALID_LANE);
        }
        assertThatThrownBy(() -> InputRules.lane("x".repeat(65)))
                .hasMessage("VALIDATION(INVALID_LANE): lane must be 1-64 bytes of printable ASCII (0x20-0x7E) "
                        + "without leading or trailing space");
    }

    @Test
    void namespaces() {
        for (String ok : List.of("default", "a", "Tenant-1", "org/team:prod.v2_x", "9", "x".repeat(128))) {
            assertThat(InputRules.namespace(ok)).isEqualTo(ok);
        }
        for (String bad : List.of("", "_x", "-x", "a b", "x".repeat(129), "naïve", "a*b")) {
            assertKind(() -> InputRules.namespace(bad), Kind.INVALID_NAMESPACE);
        }
    }

    @Test
    void workerIds() {
        assertThat(InputRules.workerId("workerId", "w-1/host:9")).isEqualTo("w-1/host:9");
        assertThat(InputRules.workerId("workerId", "x".repeat(128))).hasSize(128);
        for (String bad : List.of("", "has space", "x".repeat(129), "tab\t", "ü")) {
            assertThatThrownBy(() -> InputRules.workerId("workerInstanceId", bad))
                    .isInstanceOfSatisfying(ValidationException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.INVALID_INPUT);
                        assertThat(e.detail()).startsWith("workerInstanceId");
                    });
        }
    }

    @Test
    void kinds() {
        assertThat(InputRules.executionKind("send email")).isEqualTo("send email");
        assertThat(InputRules.flowKind("x".repeat(128))).hasSize(128);
        assertKind(() -> InputRules.executionKind("x".repeat(129)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.executionKind(""), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.flowKind("ä"), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.flowKind("a\nb"), Kind.INVALID_INPUT);
    }

    @Test
    void tagKeys() {
        for (String ok : List.of("a.b", "app.user_id", "a1_.x.y", "a._", "x." + "y".repeat(126))) {
            assertThat(InputRules.tagKey(ok)).isEqualTo(ok);
        }
        for (String bad : List.of("", ".a", "a.", "a..", "1a.b", "a.B", "a-b.c", "a. b", "x." + "y".repeat(127))) {
            assertKind(() -> InputRules.tagKey(bad), Kind.INVALID_TAG_KEY);
        }
    }

    @Test
    @DisplayName("tag values are limited to 4 KiB of UTF-8 bytes, not characters")
    void tagValues() {
        assertThat(InputRules.tagValue("x".repeat(4096))).hasSize(4096);
        assertKind(() -> InputRules.tagValue("x".repeat(4097)), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.tagValue("é".repeat(2048))).hasSize(2048);
        assertKind(() -> InputRules.tagValue("é".repeat(2049)), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.tagValue("😀".repeat(1024))).hasSize(2048);
        assertKind(() -> InputRules.tagValue("😀".repeat(1024) + "x"), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.tagValue("")).isEmpty();
        assertKind(() -> InputRules.tagValue("bad\uD800"), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.tagValue("\uDC00bad"), Kind.INVALID_INPUT);
    }

    @Test
    void tagMaps() {
        Map<String, String> tags = new LinkedHashMap<>();
        for (int i = 63; i >= 0; i--) {
            tags.put("app.k" + i, "v" + i);
        }
        Map<String, String> accepted = InputRules.tags(tags);
        assertThat(accepted).hasSize(64).isEqualTo(tags);
        assertThat(new ArrayList<>(accepted.keySet())).isSorted();
        tags.put("app.k64", "v");
        assertKind(() -> InputRules.tags(tags), Kind.LIMIT_EXCEEDED);
        assertKind(() -> InputRules.tags(Map.of("Bad.key", "v")), Kind.INVALID_TAG_KEY);
        assertKind(() -> InputRules.tags(Map.of("ok.key", "v".repeat(4097))), Kind.LIMIT_EXCEEDED);
    }

    @Test
    void capabilityTokensAndTotals() {
        assertThat(InputRules.capabilities(List.of("gpu", "cuda:12", "gpu", "GPU", "a-b_c")))
                .containsExactly("GPU", "a-b_c", "cuda:12", "gpu");
        assertThat(InputRules.capabilities(List.of())).isEmpty();
        assertThat(InputRules.capabilities(List.of("x".repeat(64)))).hasSize(1);
        for (String bad : List.of("", "x".repeat(65), "é", "a\tb", "a\u007fb")) {
            assertKind(() -> InputRules.capabilities(List.of(bad)), Kind.INVALID_CAPABILITY);
        }
        // 64 tokens of 64 bytes are exactly 4096 bytes; one more byte exceeds the total.
        List<String> exact = IntStream.range(0, 64)
                .mapToObj(i -> String.format("%02d", i) + "x".repeat(62)).collect(Collectors.toList());
        assertThat(InputRules.capabilities(exact)).hasSize(64);
        List<String> over = new ArrayList<>(exact);
        over.add("z");
        assertKind(() -> InputRules.capabilities(over), Kind.LIMIT_EXCEEDED);
        // Duplicates count once.
        List<String> duplicates = new ArrayList<>(tokens(256));
        duplicates.addAll(tokens(256));
        assertThat(InputRules.capabilities(duplicates)).hasSize(256);
        // A bad token is reported before the count.
        List<String> manyWithBad = new ArrayList<>(tokens(300));
        manyWithBad.add("a,b");
        assertKind(() -> InputRules.capabilities(manyWithBad), Kind.INVALID_CAPABILITY);
    }

    @Test
    void workerCapabilitiesHaveNoTotalLimit() {
        List<String> big = IntStream.range(0, 256)
                .mapToObj(i -> String.format("%03d", i) + "x".repeat(61)).collect(Collectors.toList());
        assertThat(InputRules.workerCapabilities(big)).hasSize(256);
        List<String> over = new ArrayList<>(big);
        over.add("one-more");
        assertKind(() -> InputRules.workerCapabilities(over), Kind.LIMIT_EXCEEDED);
        assertKind(() -> InputRules.workerCapabilities(List.of("a b")), Kind.INVALID_CAPABILITY);
    }

    @Test
    void encodings() {
        for (String ok : List.of("binary", "application/json", "text/plain", "a.b+c-d_e", "x".repeat(32))) {
            assertThat(InputRules.encoding(ok)).isEqualTo(ok);
        }
        for (String bad : List.of("", "Binary", "text plain", "x".repeat(33), "utf-8;q=1")) {
            assertKind(() -> InputRules.encoding(bad), Kind.INVALID_INPUT);
        }
    }

    @Test
    void otherNames() {
        assertThat(InputRules.waitpointKey("approval:step-1.a_b")).isEqualTo("approval:step-1.a_b");
        assertKind(() -> InputRules.waitpointKey("x".repeat(65)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.waitpointKey("a/b"), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.waitpointKey(""), Kind.INVALID_INPUT);
        assertThat(InputRules.signalName("x".repeat(128))).hasSize(128);
        assertKind(() -> InputRules.signalName("x".repeat(129)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.signalName("has space"), Kind.INVALID_INPUT);

        assertThat(InputRules.budgetDimension("tokens.input_v2")).isEqualTo("tokens.input_v2");
        assertThat(InputRules.budgetDimension("a" + "b".repeat(63))).hasSize(64);
        assertKind(() -> InputRules.budgetDimension("a" + "b".repeat(64)), Kind.INVALID_POLICY);
        assertKind(() -> InputRules.budgetDimension("Tokens"), Kind.INVALID_POLICY);
        assertKind(() -> InputRules.budgetDimension("1x"), Kind.INVALID_POLICY);

        assertThat(InputRules.kid("key-2024.01_a")).isEqualTo("key-2024.01_a");
        assertKind(() -> InputRules.kid("bad:kid"), Kind.INVALID_KID);
        assertKind(() -> InputRules.kid("x".repeat(65)), Kind.INVALID_KID);
        assertKind(() -> InputRules.kid(""), Kind.INVALID_KID);

        assertThat(InputRules.frameType("log.line-1_x")).isEqualTo("log.line-1_x");
        assertKind(() -> InputRules.frameType("Log"), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.frameType("x".repeat(65)), Kind.INVALID_INPUT);

        assertThat(InputRules.dataPassingRef("$input")).isEqualTo("$input");
        assertThat(InputRules.dataPassingRef("Result.part-1_a")).isEqualTo("Result.part-1_a");
        assertKind(() -> InputRules.dataPassingRef("$other"), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.dataPassingRef("x".repeat(65)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.dataPassingRef(""), Kind.INVALID_INPUT);
    }

    @Test
    @DisplayName("a worker death reason with a newline is INVALID_INPUT; 256 bytes are accepted")
    void workerDeathReason() {
        assertKind(() -> InputRules.workerDeathReason("crashed\nagain"), Kind.INVALID_INPUT);
        assertThat(InputRules.workerDeathReason("x".repeat(256))).hasSize(256);
        assertKind(() -> InputRules.workerDeathReason("x".repeat(257)), Kind.INVALID_INPUT);
    }

    // ------------------------------------------------------------------ sizes and ranges

    @Test
    void utf8SizeLimitsAreExact() {
        assertThat(InputRules.maxUtf8Bytes("progress message", "m".repeat(1024), Limits.MAX_PROGRESS_MESSAGE_BYTES))
                .hasSize(1024);
        assertThatThrownBy(() -> InputRules.maxUtf8Bytes("progress message", "m".repeat(1025),
                Limits.MAX_PROGRESS_MESSAGE_BYTES))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.LIMIT_EXCEEDED);
                    assertThat(e.detail()).contains("progress message").contains("1024");
                });
        assertKind(() -> InputRules.maxUtf8Bytes("reason", "€".repeat(342), 1024, Kind.INVALID_INPUT),
                Kind.INVALID_INPUT);
        assertThat(InputRules.maxUtf8Bytes("reason", "€".repeat(341) + "x", 1024, Kind.INVALID_INPUT))
                .hasSize(342);
    }

    @Test
    void controlCharacters() {
        assertThat(InputRules.noControlChars("reason", "fine, ünïcode ✓", Kind.INVALID_INPUT))
                .isEqualTo("fine, ünïcode ✓");
        for (String bad : List.of("a\u0000", "\r", "\t", "\u007f", "\u0085")) {
            assertKind(() -> InputRules.noControlChars("reason", bad, Kind.INVALID_INPUT), Kind.INVALID_INPUT);
        }
    }

    @Test
    void durations() {
        assertThat(InputRules.leaseTtl(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(InputRules.leaseTtl(Duration.ofHours(1))).isEqualTo(Duration.ofHours(1));
        assertKind(() -> InputRules.leaseTtl(Duration.ofMillis(999)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.leaseTtl(Duration.ofHours(1).plusMillis(1)), Kind.INVALID_INPUT);
        assertThat(InputRules.claimMaxWait(Duration.ZERO)).isZero();
        assertThat(InputRules.claimMaxWait(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
        assertKind(() -> InputRules.claimMaxWait(Duration.ofMillis(-1)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.claimMaxWait(Duration.ofMinutes(5).plusNanos(1)), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.durationInRange("delay", Duration.ofDays(31), Duration.ZERO,
                Limits.WORKER_DELAY_MAX, Kind.INVALID_INPUT), Kind.INVALID_INPUT);
        assertThat(InputRules.durationInRange("idempotencyTtl", Duration.ofMinutes(1), Limits.IDEMPOTENCY_TTL_MIN,
                Limits.IDEMPOTENCY_TTL_MAX, Kind.INVALID_INPUT)).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void countsAndBatches() {
        assertThat(InputRules.maxCount("budgetIds", 8, Limits.MAX_BUDGET_IDS)).isEqualTo(8);
        assertKind(() -> InputRules.maxCount("budgetIds", 9, Limits.MAX_BUDGET_IDS), Kind.LIMIT_EXCEEDED);
        assertThat(InputRules.claimBatchSize(1)).isEqualTo(1);
        assertThat(InputRules.claimBatchSize(100)).isEqualTo(100);
        assertKind(() -> InputRules.claimBatchSize(0), Kind.INVALID_INPUT);
        assertKind(() -> InputRules.claimBatchSize(101), Kind.INVALID_INPUT);
    }

    @Test
    @DisplayName("priority 12 000 is stored as 9000; the clamp is the only silent adjustment")
    void priorityClamp() {
        assertThat(InputRules.clampPriority(12_000)).isEqualTo(9000);
        assertThat(InputRules.clampPriority(9000)).isEqualTo(9000);
        assertThat(InputRules.clampPriority(0)).isZero();
        assertThat(InputRules.clampPriority(-5)).isZero();
        assertThat(InputRules.clampPriority(Integer.MIN_VALUE)).isZero();
        assertThat(InputRules.clampPriority(Integer.MAX_VALUE)).isEqualTo(9000);
        assertThat(InputRules.clampPriority(4321)).isEqualTo(4321);
    }

    @Test
    void limitsMatchTheSpec() {
        assertThat(Limits.MAX_INPUT_BYTES).isEqualTo(1_048_576);
        assertThat(Limits.MAX_RESULT_BYTES).isEqualTo(1_048_576);
        assertThat(Limits.MAX_CONFIGURABLE_PAYLOAD_BYTES).isEqualTo(16 * 1_048_576);
        assertThat(Limits.MAX_TAGS).isEqualTo(64);
        assertThat(Limits.MAX_CAPABILITIES).isEqualTo(256);
        assertThat(Limits.MAX_CAPABILITY_BYTES_TOTAL).isEqualTo(4096);
        assertThat(Limits.MAX_SIGNAL_PAYLOAD_BYTES).isEqualTo(262_144);
        assertThat(Limits.MAX_PROGRESS_MESSAGE_BYTES).isEqualTo(1024);
        assertThat(Limits.MAX_FAILURE_MESSAGE_BYTES).isEqualTo(4096);
        assertThat(Limits.MAX_FAILURE_DETAIL_BYTES).isEqualTo(16_384);
        assertThat(Limits.MAX_FAILURE_CATEGORY_BYTES).isEqualTo(64);
        assertThat(Limits.MAX_REASON_BYTES).isEqualTo(1024);
        assertThat(Limits.MAX_IDENTITY_BYTES).isEqualTo(256);
        assertThat(Limits.MAX_IDEMPOTENCY_KEY_BYTES).isEqualTo(256);
        assertThat(Limits.PRIORITY_MAX).isEqualTo(9000);
        assertThat(Limits.LEASE_TTL_DEFAULT).isEqualTo(Duration.ofSeconds(30));
        assertThat(Limits.CREATE_DELAY_MAX).isEqualTo(Duration.ofDays(365));
        assertThat(Limits.WORKER_DELAY_MAX).isEqualTo(Duration.ofDays(30));
        assertThat(Limits.PAGE_DEFAULT).isEqualTo(100);
        assertThat(Limits.PAGE_MAX).isEqualTo(1000);
        assertThat(Limits.EXPIRED_LEASES_PAGE_MAX).isEqualTo(10_000);
        assertThat(Limits.SUBSCRIPTION_BATCH_DEFAULT).isEqualTo(256);
        assertThat(Limits.DEFAULT_STREAM_PAYLOAD_BYTES).isEqualTo(65_536);
    }

    private static List<String> tokens(int count) {
        return IntStream.range(0, count).mapToObj(i -> "c" + i).collect(Collectors.toList());
    }

    private static void assertKind(ThrowingCallable call, Kind kind) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.kind()).isEqualTo(kind));
    }
}
