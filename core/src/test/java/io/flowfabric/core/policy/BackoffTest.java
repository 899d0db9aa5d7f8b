package io.flowfabric.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.time.Duration;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    @DisplayName("RT-03: exponential 1 s × 2, max 5 s gives 1, 2, 4, 5, 5 s")
    void exponentialIsCapped() {
        Backoff backoff = Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(5));
        assertThat(IntStream.range(0, 5).mapToObj(r -> backoff.delayFor(r, 0.5)))
                .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                        Duration.ofSeconds(5), Duration.ofSeconds(5));
        assertThat(backoff.delayFor(3)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void fixedIsConstant() {
        Backoff backoff = Backoff.fixed(Duration.ofMillis(500));
        assertThat(backoff.delayFor(0, 0.9)).isEqualTo(Duration.ofMillis(500));
        assertThat(backoff.delayFor(999, 0.1)).isEqualTo(Duration.ofMillis(500));
        assertThat(Backoff.fixed(Duration.ZERO).delayFor(0)).isEqualTo(Duration.ZERO);
    }

    @Test
    void hugeRetryNumbersNeverOverflow() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(1), 10.0, Duration.ofDays(7));
        assertThat(backoff.delayFor(400, 0.0)).isEqualTo(Duration.ofDays(7));
        assertThat(backoff.delayFor(Integer.MAX_VALUE, 0.0)).isEqualTo(Duration.ofDays(7));
        Backoff slow = Backoff.exponential(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(60));
        assertThat(slow.delayFor(Integer.MAX_VALUE, 0.0)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void fractionalMultipliersRoundToWholeMilliseconds() {
        Backoff backoff = Backoff.exponential(Duration.ofSeconds(1), 1.5, Duration.ofMinutes(1));
        assertThat(backoff.delayFor(3, 0.0)).isEqualTo(Duration.ofMillis(3375));
        Backoff tenth = Backoff.exponential(Duration.ofSeconds(1), 1.1, Duration.ofMinutes(1));
        assertThat(tenth.delayFor(3, 0.0)).isEqualTo(Duration.ofMillis(1331));
    }

    @Test
    void anInitialAboveTheMaxGivesTheMax() {
        Backoff backoff = Backoff.exponential(Duration.ofSeconds(10), 2.0, Duration.ofSeconds(3));
        assertThat(backoff.delayFor(0, 0.0)).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    @DisplayName("jitter j multiplies the base by 1 − j × U, so delays lie in [base × (1 − j), base]")
    void jitterBounds() {
        Backoff backoff = Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60)).withJitter(0.5);
        assertThat(backoff.jitter()).isEqualTo(0.5);
        assertThat(backoff.delayFor(2, 0.0)).isEqualTo(Duration.ofMillis(4000));
        assertThat(backoff.delayFor(2, 0.5)).isEqualTo(Duration.ofMillis(3000));
        assertThat(backoff.delayFor(2, 1.0)).isEqualTo(Duration.ofMillis(2000));
        for (int i = 0; i < 1000; i++) {
            assertThat(backoff.delayFor(2)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(4000));
        }
        Backoff full = Backoff.fixed(Duration.ofMillis(800)).withJitter(1.0);
        for (int i = 0; i < 1000; i++) {
            assertThat(full.delayFor(0)).isBetween(Duration.ZERO, Duration.ofMillis(800));
        }
        assertThat(full.delayFor(0, 0.25)).isEqualTo(Duration.ofMillis(600));
    }

    @Test
    void withJitterKeepsTheOtherFields() {
        Backoff.Exponential exponential = Backoff.exponential(Duration.ofSeconds(2), 3.0, Duration.ofSeconds(90));
        assertThat(exponential.withJitter(0.2))
                .isEqualTo(new Backoff.Exponential(Duration.ofSeconds(2), 3.0, Duration.ofSeconds(90), 0.2));
        assertThat(Backoff.fixed(Duration.ofSeconds(1)).withJitter(0.3))
                .isEqualTo(new Backoff.Fixed(Duration.ofSeconds(1), 0.3));
        assertThat(Backoff.defaults())
                .isEqualTo(new Backoff.Exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60), 0.0));
    }

    @Test
    @DisplayName("VL-06: multiplier 0.5 is INVALID_POLICY; every bound is exact")
    void validation() {
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(5)),
                "retry.backoff.multiplier");
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), 0.999, Duration.ofSeconds(5)),
                "retry.backoff.multiplier");
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), 10.01, Duration.ofSeconds(5)),
                "retry.backoff.multiplier");
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), Double.NaN, Duration.ofSeconds(5)),
                "retry.backoff.multiplier");
        Backoff.exponential(Duration.ofSeconds(1), 1.0, Duration.ofSeconds(5));
        Backoff.exponential(Duration.ofSeconds(1), 10.0, Duration.ofDays(7));
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), 2.0,
                Duration.ofDays(7).plusMillis(1)), "retry.backoff.max");
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ZERO, 2.0, Duration.ofSeconds(5)),
                "retry.backoff.initial");
        assertInvalidPolicy(() -> Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ZERO),
                "retry.backoff.max");
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofMillis(-1)), "retry.backoff.delay");
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofNanos(1_500_000)), "retry.backoff.delay");
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofDays(7).plusMillis(1)), "retry.backoff.delay");
        Backoff.fixed(Duration.ofDays(7));
        Backoff.fixed(Duration.ofSeconds(1)).withJitter(0.0);
        Backoff.fixed(Duration.ofSeconds(1)).withJitter(1.0);
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofSeconds(1)).withJitter(1.0001), "retry.backoff.jitter");
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofSeconds(1)).withJitter(-0.1), "retry.backoff.jitter");
        assertInvalidPolicy(() -> Backoff.fixed(Duration.ofSeconds(1)).withJitter(Double.NaN),
                "retry.backoff.jitter");
    }

    @Test
    void delayForRejectsBadArguments() {
        Backoff backoff = Backoff.defaults();
        assertThatThrownBy(() -> backoff.delayFor(-1, 0.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backoff.delayFor(0, 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backoff.delayFor(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    static void assertInvalidPolicy(ThrowingCallable call, String field) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class, e -> {
            assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_POLICY);
            assertThat(e.detail()).contains(field);
        });
    }
}
