package io.flowfabric.core.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TickReportTest {

    @Test
    @DisplayName("plus sums the counts and keeps the larger lag (the oldest due row of the tick)")
    void plusSumsCountsAndKeepsTheLargerLag() {
        TickReport first = new TickReport("lease_expiry", 500, 498, 2, 0, Duration.ofMillis(30),
                Duration.ofMillis(4_000));
        TickReport second = new TickReport("lease_expiry", 3, 3, 0, 1, Duration.ofMillis(5), Duration.ofMillis(10));
        TickReport sum = first.plus(second);
        assertThat(sum).isEqualTo(new TickReport("lease_expiry", 503, 501, 2, 1, Duration.ofMillis(35),
                Duration.ofMillis(4_000)));
        assertThat(second.plus(first).lag()).isEqualTo(Duration.ofMillis(4_000));
    }

    @Test
    @DisplayName("a job that does not measure lag reports null; a measured lag survives adding an unmeasured batch")
    void unmeasuredLagIsNull() {
        TickReport unmeasured = new TickReport("audit_pruning", 1, 1, 0, 0, Duration.ofMillis(1));
        assertThat(unmeasured.lag()).isNull();
        assertThat(unmeasured.plus(unmeasured).lag()).isNull();
        TickReport measured = new TickReport("audit_pruning", 0, 0, 0, 0, Duration.ZERO, Duration.ZERO);
        assertThat(unmeasured.plus(measured).lag()).isEqualTo(Duration.ZERO);
        assertThat(measured.plus(unmeasured).lag()).isEqualTo(Duration.ZERO);
    }
}
