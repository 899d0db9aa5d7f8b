package io.flowfabric.core.execution;

import io.flowfabric.core.state.PublicState;

/**
 * The result of a cancel by the lease holder or by an operator; repeating a cancel returns it again without change.
 *
 * @since 0.1
 */
public record Cancelled(PublicState publicState) {
}
