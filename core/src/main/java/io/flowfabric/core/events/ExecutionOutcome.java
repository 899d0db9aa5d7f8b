package io.flowfabric.core.events;

import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.state.TerminalOutcome;
import java.time.Instant;

/**
 * How an execution ended, as returned by {@code awaitOutcome}.
 *
 * @since 0.1
 */
public record ExecutionOutcome(TerminalOutcome outcome, PublicState publicState, Instant terminalAt) {
}
