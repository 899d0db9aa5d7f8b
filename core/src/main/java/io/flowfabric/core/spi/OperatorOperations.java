package io.flowfabric.core.spi;

import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.id.ExecutionId;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Operator controls (spec 02 §8). For trusted code only: there is no authorization layer.
 *
 * @since 0.1
 */
public interface OperatorOperations {

    /**
     * Cancels an execution in any non-terminal phase, revoking its lease if one is held. Repeating the cancel of a
     * cancelled execution emits {@link Cancelled} and writes nothing; any other terminal outcome is
     * {@code StateException(ALREADY_TERMINAL)}; a missing execution is {@code NotFoundException(EXECUTION)}.
     *
     * @param reason free text of at most 1 KiB
     * @param actor  who asked, at most 256 bytes; recorded in the operator event
     */
    Mono<Cancelled> cancelExecution(ExecutionId id, @Nullable String reason, @Nullable String actor);
}
