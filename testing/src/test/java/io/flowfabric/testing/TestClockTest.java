package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TestClockTest {

    @Test
    void startsAtZero() {
        TestClock clock = new TestClock();

        assertThat(clock.offset()).isEqualTo(Duration.ZERO);
        assertThat(clock.getAsLong()).isZero();
    }

    @Test
    void advanceAddsAndReturnsTheNewOffset() {
        TestClock clock = new TestClock();

        assertThat(clock.advance(Duration.ofSeconds(90))).isEqualTo(Duration.ofSeconds(90));
        assertThat(clock.advance(Duration.ofMillis(250))).isEqualTo(Duration.ofMillis(90_250));
        assertThat(clock.getAsLong()).isEqualTo(90_250L);
        assertThat(clock.advance(Duration.ofMinutes(-2))).isEqualTo(Duration.ofMillis(-29_750));
        assertThat(clock.getAsLong()).isEqualTo(-29_750L);
    }

    @Test
    void setReplacesAndResetReturnsToZero() {
        TestClock clock = new TestClock();
        clock.advance(Duration.ofHours(1));

        clock.set(Duration.ofDays(2));
        assertThat(clock.offset()).isEqualTo(Duration.ofDays(2));
        assertThat(clock.getAsLong()).isEqualTo(172_800_000L);

        clock.reset();
        assertThat(clock.offset()).isEqualTo(Duration.ZERO);
    }

    @Test
    void dropsSubMillisecondPrecision() {
        TestClock clock = new TestClock();

        clock.advance(Duration.ofNanos(1_999_999));

        assertThat(clock.getAsLong()).isEqualTo(1L);
    }

    @Test
    void overflowIsAnErrorAndLeavesTheOffsetUnchanged() {
        TestClock clock = new TestClock();
        clock.set(Duration.ofMillis(Long.MAX_VALUE));

        assertThatThrownBy(() -> clock.advance(Duration.ofMillis(1))).isInstanceOf(ArithmeticException.class);
        assertThat(clock.getAsLong()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void concurrentAdvancesAreNotLost() throws InterruptedException {
        TestClock clock = new TestClock();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 4_000; i++) {
                pool.execute(() -> clock.advance(Duration.ofMillis(1)));
            }
        } finally {
            pool.shutdown();
        }
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        assertThat(clock.getAsLong()).isEqualTo(4_000L);
    }
}
