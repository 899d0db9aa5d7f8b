package io.flowfabric.core.policy;

import static io.flowfabric.core.policy.BackoffTest.assertInvalidPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ExecutionPolicyTest {

    private static final String DEFAULTS_JSON = "{\"retry\":{\"maxRetries\":0,\"backoff\":{\"kind\":\"exponential\","
            + "\"initialMs\":1000,\"multiplier\":2.0,\"maxMs\":60000,\"jitter\":0.0},"
            + "\"retryOn\":[\"INFRA_CRASH\",\"TRANSIENT\"]},\"attemptTimeoutMs\":null,\"maxReclaimCount\":100,"
            + "\"maxReplayCount\":10,\"maxSignalsPerExecution\":10000,"
            + "\"stream\":{\"maxPayloadBytes\":65536,\"maxFramesPerAttempt\":100000}}";

    @Test
    @DisplayName("02 §3 defaults")
    void defaults() {
        ExecutionPolicy policy = ExecutionPolicy.defaults();
        assertThat(policy.retry()).isEqualTo(RetryPolicy.none());
        assertThat(policy.retry().maxRetries()).isZero();
        assertThat(policy.attemptTimeout()).isNull();
        assertThat(policy.attemptTimeoutOpt()).isEmpty();
        assertThat(policy.maxReclaimCount()).isEqualTo(100);
        assertThat(policy.maxReplayCount()).isEqualTo(10);
        assertThat(policy.maxSignalsPerExecution()).isEqualTo(10_000);
        assertThat(policy.streamMaxPayloadBytes()).isEqualTo(65_536);
        assertThat(policy.streamMaxFramesPerAttempt()).isEqualTo(100_000);
        assertThat(ExecutionPolicy.builder().build()).isEqualTo(policy);
    }

    @Test
    void defaultsJsonIsNormalisedWithEveryField() {
        assertThat(ExecutionPolicy.defaults().toJson()).isEqualTo(DEFAULTS_JSON);
        assertThat(ExecutionPolicy.fromJson("{}")).isEqualTo(ExecutionPolicy.defaults());
        assertThat(ExecutionPolicy.fromJson("{\"retry\":null}")).isEqualTo(ExecutionPolicy.defaults());
    }

    @Test
    @DisplayName("a retry object without maxRetries means 3 retries")
    void retryObjectWithoutMaxRetries() {
        ExecutionPolicy policy = ExecutionPolicy.fromJson("{\"retry\":{}}");
        assertThat(policy.retry().maxRetries()).isEqualTo(3);
        assertThat(policy.toJson()).isEqualTo("{\"retry\":{\"maxRetries\":3,\"backoff\":{\"kind\":\"exponential\","
                + "\"initialMs\":1000,\"multiplier\":2.0,\"maxMs\":60000,\"jitter\":0.0},"
                + "\"retryOn\":[\"INFRA_CRASH\",\"TRANSIENT\"]},\"attemptTimeoutMs\":null,\"maxReclaimCount\":100,"
                + "\"maxReplayCount\":10,\"maxSignalsPerExecution\":10000,"
                + "\"stream\":{\"maxPayloadBytes\":65536,\"maxFramesPerAttempt\":100000}}");
        assertThat(ExecutionPolicy.builder().retry(RetryPolicy.builder().build()).build()).isEqualTo(policy);
    }

    @Test
    void fixedBackoffJson() {
        ExecutionPolicy policy = ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(3).backoff(Backoff.fixed(Duration.ofMillis(500))).build())
                .build();
        assertThat(policy.toJson()).contains("\"backoff\":{\"kind\":\"fixed\",\"delayMs\":500,\"jitter\":0.0}");
        assertThat(ExecutionPolicy.fromJson(policy.toJson())).isEqualTo(policy);
    }

    @Test
    void roundTripIsExact() {
        List<ExecutionPolicy> policies = List.of(
                ExecutionPolicy.defaults(),
                ExecutionPolicy.builder()
                        .retry(RetryPolicy.builder()
                                .maxRetries(1000)
                                .backoff(Backoff.exponential(Duration.ofMillis(250), 1.7, Duration.ofDays(7))
                                        .withJitter(0.35))
                                .retryOn(FailureClass.TIMEOUT, FailureClass.PERMANENT)
                                .build())
                        .attemptTimeout(Duration.ofSeconds(2))
                        .maxReclaimCount(0)
                        .maxReplayCount(1000)
                        .maxSignalsPerExecution(1)
                        .streamMaxPayloadBytes(1_048_576)
                        .streamMaxFramesPerAttempt(10_000_000)
                        .build(),
                ExecutionPolicy.builder()
                        .retry(RetryPolicy.builder().retryOn(List.of()).backoff(Backoff.fixed(Duration.ZERO)
                                .withJitter(1.0)).build())
                        .attemptTimeout(Duration.ofDays(7))
                        .build());
        for (ExecutionPolicy policy : policies) {
            String json = policy.toJson();
            ExecutionPolicy back = ExecutionPolicy.fromJson(json);
            assertThat(back).isEqualTo(policy);
            assertThat(back.toJson()).isEqualTo(json);
        }
    }

    @Test
    @DisplayName("reads the reordered, spaced form jsonb returns")
    void readsJsonbOutput() {
        String jsonb = "{\"retry\": {\"backoff\": {\"kind\": \"fixed\", \"jitter\": 0.0, \"delayMs\": 500}, "
                + "\"retryOn\": [\"TRANSIENT\"], \"maxRetries\": 3}, \"stream\": {\"maxPayloadBytes\": 1024, "
                + "\"maxFramesPerAttempt\": 10}, \"maxReplayCount\": 10, \"maxReclaimCount\": 100, "
                + "\"attemptTimeoutMs\": 60000, \"maxSignalsPerExecution\": 10000}";
        ExecutionPolicy policy = ExecutionPolicy.fromJson(jsonb);
        assertThat(policy.retry().backoff()).isEqualTo(Backoff.fixed(Duration.ofMillis(500)));
        assertThat(policy.retry().retryOn()).containsExactly(FailureClass.TRANSIENT);
        assertThat(policy.attemptTimeoutOpt()).contains(Duration.ofMinutes(1));
        assertThat(policy.streamMaxPayloadBytes()).isEqualTo(1024);
        assertThat(policy.streamMaxFramesPerAttempt()).isEqualTo(10);
    }

    @Test
    void partialBackoffTakesDefaults() {
        ExecutionPolicy policy = ExecutionPolicy.fromJson(
                "{\"retry\":{\"maxRetries\":5,\"backoff\":{\"kind\":\"exponential\",\"maxMs\":5000}}}");
        assertThat(policy.retry().backoff())
                .isEqualTo(Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(5)));
    }

    @Test
    @DisplayName("VL-06 and 02 §3: every range is enforced at its exact boundary with INVALID_POLICY")
    void ranges() {
        ExecutionPolicy.builder().attemptTimeout(Duration.ofSeconds(1)).build();
        ExecutionPolicy.builder().attemptTimeout(Duration.ofDays(7)).build();
        assertInvalidPolicy(() -> ExecutionPolicy.builder().attemptTimeout(Duration.ofMillis(999)).build(),
                "attemptTimeout");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().attemptTimeout(Duration.ofDays(7).plusMillis(1))
                .build(), "attemptTimeout");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxReclaimCount(-1).build(), "maxReclaimCount");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxReclaimCount(10_001).build(), "maxReclaimCount");
        ExecutionPolicy.builder().maxReclaimCount(10_000).build();
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxReplayCount(-1).build(), "maxReplayCount");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxReplayCount(1001).build(), "maxReplayCount");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxSignalsPerExecution(0).build(),
                "maxSignalsPerExecution");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().maxSignalsPerExecution(100_001).build(),
                "maxSignalsPerExecution");
        ExecutionPolicy.builder().maxSignalsPerExecution(100_000).build();
        assertInvalidPolicy(() -> ExecutionPolicy.builder().streamMaxPayloadBytes(0).build(),
                "stream.maxPayloadBytes");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().streamMaxPayloadBytes(1_048_577).build(),
                "stream.maxPayloadBytes");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().streamMaxFramesPerAttempt(0).build(),
                "stream.maxFramesPerAttempt");
        assertInvalidPolicy(() -> ExecutionPolicy.builder().streamMaxFramesPerAttempt(10_000_001).build(),
                "stream.maxFramesPerAttempt");
    }

    @Test
    void badJsonIsInvalidPolicy() {
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{"), "JSON");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson(""), "policy");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("[]"), "policy");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{} {}"), "JSON");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"maxReplayCount\":1,\"maxReplayCount\":2}"), "JSON");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"maxRetries\":3}"), "policy");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"max_retries\":3}}"), "retry");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":3}"), "retry");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"maxRetries\":\"3\"}}"),
                "retry.maxRetries");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"maxRetries\":3.5}}"), "retry.maxRetries");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"maxRetries\":-1}}"), "retry.maxRetries");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson(
                "{\"retry\":{\"backoff\":{\"kind\":\"exponential\",\"multiplier\":0.5}}}"),
                "retry.backoff.multiplier");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"backoff\":{\"kind\":\"linear\"}}}"),
                "retry.backoff.kind");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"backoff\":{\"delayMs\":5}}}"),
                "retry.backoff.kind");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"backoff\":{\"kind\":\"fixed\"}}}"),
                "retry.backoff.delayMs");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson(
                "{\"retry\":{\"backoff\":{\"kind\":\"fixed\",\"delayMs\":5,\"maxMs\":9}}}"), "retry.backoff");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"retryOn\":[\"FLAKY\"]}}"),
                "retry.retryOn");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"retry\":{\"retryOn\":\"TRANSIENT\"}}"),
                "retry.retryOn");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"attemptTimeoutMs\":500}"), "attemptTimeout");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"stream\":{\"maxPayloadBytes\":2000000}}"),
                "stream.maxPayloadBytes");
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson("{\"stream\":{\"other\":1}}"), "stream");
    }

    @Test
    @DisplayName("JSON nesting deeper than 64 levels is rejected")
    void deepNesting() {
        String deep = "{\"retry\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertInvalidPolicy(() -> ExecutionPolicy.fromJson(deep), "JSON");
    }
}
