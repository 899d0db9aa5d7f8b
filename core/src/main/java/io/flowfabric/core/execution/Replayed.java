package io.flowfabric.core.execution;

import io.flowfabric.core.state.PublicState;

/**
 * The result of {@code replayExecution} (spec 02 §8.4): the execution's public state once the replay committed.
 * {@code waiting} for a replay that is ready to claim; {@code waiting_children} for a flow downstream whose reset
 * edge group still waits for upstreams; {@code skipped} for a flow downstream whose reset group was impossible at
 * once (it was skipped again, with a new completion event).
 *
 * @since 0.1
 */
public record Replayed(PublicState publicState) {
}
