package io.flowfabric.postgres.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BestEffortCapTest {

    @Test
    @DisplayName("the first best-effort frame has no rate sample: ema decays towards 0, K is the floor")
    void firstFrame() {
        BestEffortCap cap = BestEffortCap.compute(1000, null, 0, 0.2, 30_000, 64, 16_384, 1);
        assertThat(cap.emaRateHz()).isZero();
        assertThat(cap.maxlen()).isEqualTo(64);
        assertThat(cap.trim()).isFalse();
    }

    @Test
    void emaFollowsTheSpecFormula() {
        // dt = 100 ms -> 10 Hz; ema = 0.2 * 10 + 0.8 * 5 = 6
        BestEffortCap cap = BestEffortCap.compute(1100, 1000L, 5, 0.2, 30_000, 64, 16_384, 10);
        assertThat(cap.emaRateHz()).isCloseTo(6.0, within(1e-9));
        // K = ceil(6 * 30) * 2 = 360
        assertThat(cap.maxlen()).isEqualTo(360);
    }

    @Test
    @DisplayName("frames in the same millisecond count as dt = 1 ms (1000 Hz)")
    void sameMillisecondIsOneMillisecond() {
        BestEffortCap cap = BestEffortCap.compute(1000, 1000L, 0, 1.0, 1000, 1, 100_000, 1);
        assertThat(cap.emaRateHz()).isEqualTo(1000.0);
        assertThat(cap.maxlen()).isEqualTo(2000);
    }

    @Test
    void targetLengthIsClampedToFloorAndCeiling() {
        assertThat(BestEffortCap.compute(1001, 1000L, 0, 1.0, 30_000, 64, 100, 1).maxlen()).isEqualTo(100);
        assertThat(BestEffortCap.compute(11_000, 1000L, 0, 1.0, 1000, 64, 100, 1).maxlen()).isEqualTo(64);
    }

    @Test
    @DisplayName("a trim is due only past K + max(16, K / 8)")
    void trimHasSlack() {
        // K = 64 (ceiling), slack 16
        assertThat(BestEffortCap.compute(1001, 1000L, 0, 1.0, 30_000, 64, 64, 80).trim()).isFalse();
        assertThat(BestEffortCap.compute(1001, 1000L, 0, 1.0, 30_000, 64, 64, 81).trim()).isTrue();
        // K = 1000, slack 125
        assertThat(BestEffortCap.compute(1001, 1000L, 0, 1.0, 30_000, 1000, 1000, 1125).trim()).isFalse();
        assertThat(BestEffortCap.compute(1001, 1000L, 0, 1.0, 30_000, 1000, 1000, 1126).trim()).isTrue();
    }
}
