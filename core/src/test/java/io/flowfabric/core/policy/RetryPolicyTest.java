package io.flowfabric.core.policy;

import static io.flowfabric.core.policy.BackoffTest.assertInvalidPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    @DisplayName("02 §3: maxRetries is 0 without a retry policy and 3 when a policy object omits it")
    void defaults() {
        RetryPolicy none = RetryPolicy.none();
        assertThat(none.maxRetries()).isZero();
        assertThat(none.backoff()).isEqualTo(Backoff.defaults());
        assertThat(none.retryOn()).containsExactlyInAnyOrder(FailureClass.TRANSIENT, FailureClass.INFRA_CRASH);

        RetryPolicy given = RetryPolicy.builder().build();
        assertThat(given.maxRetries()).isEqualTo(3);
        assertThat(given.backoff())
                .isEqualTo(Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60)));
        assertThat(given.retryOn()).containsExactlyInAnyOrder(FailureClass.TRANSIENT, FailureClass.INFRA_CRASH);
    }

    @Test
    void shouldRetryFollowsClassesAndCount() {
        RetryPolicy policy = RetryPolicy.builder().maxRetries(2).build();
        assertThat(policy.shouldRetry(FailureClass.TRANSIENT, 0)).isTrue();
        assertThat(policy.shouldRetry(FailureClass.INFRA_CRASH, 1)).isTrue();
        assertThat(policy.shouldRetry(FailureClass.TRANSIENT, 2)).isFalse();
        assertThat(policy.shouldRetry(FailureClass.TIMEOUT, 0)).isFalse();
        assertThat(policy.shouldRetry(FailureClass.PERMANENT, 0)).isFalse();
        assertThat(RetryPolicy.none().shouldRetry(FailureClass.TRANSIENT, 0)).isFalse();
    }

    @Test
    @DisplayName("PERMANENT and CANCELLED are never retried, even when listed")
    void neverRetriedClasses() {
        RetryPolicy all = RetryPolicy.builder().maxRetries(10).retryOn(FailureClass.values()).build();
        assertThat(all.shouldRetry(FailureClass.TIMEOUT, 0)).isTrue();
        assertThat(all.shouldRetry(FailureClass.PERMANENT, 0)).isFalse();
        assertThat(all.shouldRetry(FailureClass.CANCELLED, 0)).isFalse();
        assertThat(FailureClass.PERMANENT.neverRetried()).isTrue();
        assertThat(FailureClass.CANCELLED.neverRetried()).isTrue();
        assertThat(EnumSet.complementOf(EnumSet.of(FailureClass.PERMANENT, FailureClass.CANCELLED)))
                .allSatisfy(cls -> assertThat(cls.neverRetried()).isFalse());
    }

    @Test
    @DisplayName("VL-06: maxRetries −1 is INVALID_POLICY; 0 and 1000 are accepted, 1001 is not")
    void maxRetriesRange() {
        assertInvalidPolicy(() -> RetryPolicy.builder().maxRetries(-1).build(), "retry.maxRetries");
        assertInvalidPolicy(() -> RetryPolicy.builder().maxRetries(1001).build(), "retry.maxRetries");
        assertThat(RetryPolicy.builder().maxRetries(0).build().maxRetries()).isZero();
        assertThat(RetryPolicy.builder().maxRetries(1000).build().maxRetries()).isEqualTo(1000);
    }

    @Test
    void retryOnIsAnImmutableCopy() {
        Set<FailureClass> classes = EnumSet.of(FailureClass.TIMEOUT);
        RetryPolicy policy = new RetryPolicy(1, Backoff.defaults(), classes);
        classes.add(FailureClass.TRANSIENT);
        assertThat(policy.retryOn()).containsExactly(FailureClass.TIMEOUT);
        assertThatThrownBy(() -> policy.retryOn().add(FailureClass.TRANSIENT))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(new RetryPolicy(1, Backoff.defaults(), Set.of(FailureClass.TIMEOUT))).isEqualTo(policy);
        assertThat(RetryPolicy.builder().retryOn(List.of()).build().retryOn()).isEmpty();
    }
}
