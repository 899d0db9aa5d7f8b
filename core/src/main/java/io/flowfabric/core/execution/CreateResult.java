package io.flowfabric.core.execution;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.PublicState;

/**
 * The outcome of {@code createExecution}: either a new execution or the one that already existed under the same id
 * or live idempotency key (in which case nothing was changed).
 *
 * @since 0.1
 */
public sealed interface CreateResult permits CreateResult.Created, CreateResult.Duplicate {

    /** The id of the new or existing execution. */
    ExecutionId executionId();

    /** The execution's public state as read in the creating transaction. */
    PublicState publicState();

    /** Whether this call created the execution. */
    default boolean created() {
        return this instanceof Created;
    }

    /** A new execution was inserted. */
    record Created(ExecutionId executionId, PublicState publicState) implements CreateResult {
    }

    /** The id, or the idempotency key, was already in use; the existing execution is returned unchanged. */
    record Duplicate(ExecutionId executionId, PublicState publicState) implements CreateResult {
    }
}
