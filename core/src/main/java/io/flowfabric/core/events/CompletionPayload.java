package io.flowfabric.core.events;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.TerminalOutcome;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What a completion event says: an execution reached a terminal outcome (spec 04 §1). Written exactly once per
 * terminal transition, in the same transaction.
 *
 * @param attemptIndex the attempt that was current when it ended, {@code null} if none ever ran
 * @param instanceTag  the value of the configured instance-tag key on the execution, if any
 * @param occurredAt   the database clock at the transition
 * @since 0.1
 */
public record CompletionPayload(ExecutionId executionId, @Nullable FlowId flowId, TerminalOutcome outcome,
                                @Nullable Integer attemptIndex, String namespace, @Nullable String instanceTag,
                                Instant occurredAt) {
}
