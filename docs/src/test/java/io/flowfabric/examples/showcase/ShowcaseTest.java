package io.flowfabric.examples.showcase;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.state.PublicState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ShowcaseTest {

    @Test
    @DisplayName("the README's showcase runs every execution to its expected end and prints a summary")
    void showcaseRunsToExpectedOutcomes() {
        Showcase.Summary summary = Showcase.run(null, 41, 3);

        assertThat(summary.consistent()).as(summary.render()).isTrue();
        assertThat(summary.count(PublicState.CANCELLED)).isEqualTo(1);
        assertThat(summary.count(PublicState.FAILED)).isEqualTo(10);
        assertThat(summary.count(PublicState.COMPLETED)).isEqualTo(30);
        assertThat(summary.render())
                .contains("flaky", "doomed", "report", "cancelled by operator", "every execution ended as expected");
    }
}
