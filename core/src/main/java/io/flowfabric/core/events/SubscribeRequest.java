package io.flowfabric.core.events;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.OperatorEventType;
import io.flowfabric.core.state.TerminalOutcome;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where a subscription starts and what it selects (spec 04 §5). Filters run in SQL; events they exclude still move
 * the subscription's position.
 *
 * @param cursor       start after this event; {@code null} starts from now
 * @param namespace    only events of this namespace
 * @param instanceTag  only events whose instance tag equals this value
 * @param executionId  only events of this execution (operator events: whose subject is this execution)
 * @param flowId       completions: only members of this flow; operator events: only those whose subject is this flow
 * @param outcomes     completions only: only these outcomes (empty: all)
 * @param leaseTypes   lease history only: only these types (empty: all)
 * @param operatorTypes operator events only: only these types (empty: all)
 * @param batchSize    rows per read, 1..1000 (default 256); also the most a subscriber ever buffers
 * @param pollInterval how often the reader looks again without a wake-up (default 1 s)
 * @param acceptGap    when the cursor is older than what pruning kept, start at the pruning watermark (the first
 *                     event is flagged {@code gap}) instead of failing with {@code StateException(CURSOR_EXPIRED)}
 * @since 0.1
 */
public record SubscribeRequest(@Nullable EventCursor cursor, @Nullable String namespace, @Nullable String instanceTag,
                               @Nullable ExecutionId executionId, @Nullable FlowId flowId,
                               Set<TerminalOutcome> outcomes, Set<LeaseEventType> leaseTypes,
                               Set<OperatorEventType> operatorTypes, int batchSize,
                               Duration pollInterval, boolean acceptGap) {

    public static final int DEFAULT_BATCH = 256;
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(1);

    public SubscribeRequest {
        outcomes = outcomes == null || outcomes.isEmpty() ? Set.of() : Set.copyOf(outcomes);
        leaseTypes = leaseTypes == null || leaseTypes.isEmpty() ? Set.of() : Set.copyOf(leaseTypes);
        operatorTypes = operatorTypes == null || operatorTypes.isEmpty() ? Set.of() : Set.copyOf(operatorTypes);
        pollInterval = pollInterval == null ? DEFAULT_POLL : pollInterval;
    }

    /** Everything from now, with the defaults. */
    public static SubscribeRequest fromNow() {
        return builder().build();
    }

    /** Everything after {@code cursor}, with the defaults. */
    public static SubscribeRequest after(EventCursor cursor) {
        return builder().cursor(cursor).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private @Nullable EventCursor cursor;
        private @Nullable String namespace;
        private @Nullable String instanceTag;
        private @Nullable ExecutionId executionId;
        private @Nullable FlowId flowId;
        private Set<TerminalOutcome> outcomes = Set.of();
        private Set<LeaseEventType> leaseTypes = Set.of();
        private Set<OperatorEventType> operatorTypes = Set.of();
        private int batchSize = DEFAULT_BATCH;
        private Duration pollInterval = DEFAULT_POLL;
        private boolean acceptGap;

        private Builder() {
        }

        public Builder cursor(@Nullable EventCursor cursor) { this.cursor = cursor; return this; }
        public Builder namespace(@Nullable String namespace) { this.namespace = namespace; return this; }
        public Builder instanceTag(@Nullable String tag) { this.instanceTag = tag; return this; }
        public Builder executionId(@Nullable ExecutionId id) { this.executionId = id; return this; }
        public Builder flowId(@Nullable FlowId flowId) { this.flowId = flowId; return this; }

        public Builder outcomes(TerminalOutcome first, TerminalOutcome... more) {
            this.outcomes = EnumSet.of(first, more);
            return this;
        }

        public Builder leaseTypes(LeaseEventType first, LeaseEventType... more) {
            this.leaseTypes = EnumSet.of(first, more);
            return this;
        }

        public Builder operatorTypes(OperatorEventType first, OperatorEventType... more) {
            this.operatorTypes = EnumSet.of(first, more);
            return this;
        }

        public Builder batchSize(int batchSize) { this.batchSize = batchSize; return this; }
        public Builder pollInterval(Duration interval) { this.pollInterval = interval; return this; }
        public Builder acceptGap(boolean acceptGap) { this.acceptGap = acceptGap; return this; }

        public SubscribeRequest build() {
            return new SubscribeRequest(cursor, namespace, instanceTag, executionId, flowId, outcomes, leaseTypes,
                    operatorTypes, batchSize, pollInterval, acceptGap);
        }
    }
}
