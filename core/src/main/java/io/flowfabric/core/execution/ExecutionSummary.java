package io.flowfabric.core.execution;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.state.PublicState;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One row of {@code listExecutions}.
 *
 * @since 0.1
 */
public record ExecutionSummary(ExecutionId executionId, String namespace, String lane, String executionKind,
                               @Nullable FlowId flowId, int priority, PublicState publicState, Instant createdAt,
                               @Nullable Instant terminalAt) {
}
