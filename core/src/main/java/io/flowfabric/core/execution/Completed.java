package io.flowfabric.core.execution;

import io.flowfabric.core.state.PublicState;

/**
 * The result of {@code complete}; also returned, without any change, to a replay by the same lease.
 *
 * @since 0.1
 */
public record Completed(PublicState publicState) {
}
