package io.flowfabric.examples.showcase;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.state.PublicState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ShowcaseTest {

    @Test
    @DisplayName("the README's showcase runs every execution and the flow to their expected ends and prints a summary")
    void showcaseRunsToExpectedOutcomes() {
        // 41 standalone: 40 in rotation (10 of each kind) and the operator-cancelled one; the flow adds 6 members.
        Showcase.Summary summary = Showcase.run(null, 41, 3);

        assertThat(summary.consistent()).as(summary.render()).isTrue();
        assertThat(summary.executions()).isEqualTo(47);
        assertThat(summary.count(PublicState.COMPLETED)).as("30 standalone + fetch, 4 render, merge").isEqualTo(36);
        assertThat(summary.count(PublicState.FAILED)).as("the doomed ones").isEqualTo(10);
        assertThat(summary.count(PublicState.CANCELLED)).as("the operator's cancel").isEqualTo(1);
        assertThat(summary.byState().keySet())
                .containsOnly(PublicState.COMPLETED, PublicState.FAILED, PublicState.CANCELLED);
        assertThat(summary.terminalSeen()).isEqualTo(47);
        assertThat(summary.liveCompletions()).as("one event per terminal transition; the cancel may precede the "
                + "subscription's start").isBetween(46, 47);

        Showcase.FlowReport flow = summary.flow();
        assertThat(flow).isNotNull();
        assertThat(flow.renderStates()).hasSize(4).containsOnly(PublicState.COMPLETED);
        assertThat(flow.mergeState()).isEqualTo(PublicState.COMPLETED);
        assertThat(flow.policy()).isEqualTo(EdgeGroupPolicy.quorum(3, EdgeGroupPolicy.OnSatisfied.LET_RUN));
        assertThat(flow.decision()).isEqualTo(GroupDecision.SATISFIED);
        // Released at the third success: the merge saw three or four rendered parts.
        assertThat(flow.mergeResult()).matches("merged [34] of 4 parts: rendered part-\\d(, rendered part-\\d){2,3}");

        // The render branch that crashed once: its first attempt's stream holds the two frames written before the
        // crash and closed with the retry; the retry's own stream holds all three.
        assertThat(flow.streams()).hasSize(2);
        Showcase.StreamExcerpt first = flow.streams().get(0);
        Showcase.StreamExcerpt retry = flow.streams().get(1);
        assertThat(first.closedReason()).isEqualTo("retry_scheduled");
        assertThat(first.frames()).hasSize(2);
        assertThat(first.frames().get(0)).matches("\\d+-1  event  part-2: loading input \\(attempt 0\\)");
        assertThat(retry.closedReason()).isEqualTo("completed");
        assertThat(retry.frames()).hasSize(3);
        assertThat(retry.frames().get(2)).endsWith("event  part-2: done");

        assertThat(summary.render())
                .contains("flaky", "doomed", "report", "cancelled by operator: no longer needed",
                        "merge     completed", "every execution ended as expected");
    }
}
