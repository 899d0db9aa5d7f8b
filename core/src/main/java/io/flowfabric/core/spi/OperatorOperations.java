package io.flowfabric.core.spi;

import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ReplayOptions;
import io.flowfabric.core.execution.Replayed;
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

    /**
     * Replays a terminal execution of any outcome, including {@code cancelled} and {@code skipped} (spec 02 §8.4): one
     * transaction sets {@code replay_count + 1} and {@code retry_count = 0}, clears the result, failure and
     * cancellation fields, the terminal time and the old deadline (a new one comes from
     * {@link ReplayOptions#deadlineAfter()}), and sets attempt_state {@code pending_replay_attempt}. Existing attempts
     * are kept; the next claim inserts a new attempt of type {@code replay}.
     *
     * <p>When the execution is the downstream of a sealed edge group (spec 03 §11) the group is reset: its latch and
     * sibling-cancel queue are cleared, every non-success resolution is cleared, edges whose upstream is terminal are
     * resolved again at once, and the decision is evaluated: pending leaves the execution waiting for its
     * dependencies, satisfied makes it claimable, impossible skips it again with a new completion event. Otherwise the
     * execution becomes claimable at once and its lane is notified. Either way the operator event
     * {@code replayed{branch, groupsReset, reason}} is written, with branch {@code flow_member} when a group was reset
     * and {@code normal} otherwise.
     *
     * <p>Errors, with nothing written: {@code ValidationException} for a missing id or options, a reason over 1 KiB
     * ({@code LIMIT_EXCEEDED}) or a deadline outside 1 ms..365 days ({@code INVALID_INPUT});
     * {@code NotFoundException(EXECUTION)}; {@code StateException(EXECUTION_NOT_TERMINAL)};
     * {@code StateException(REPLAY_CAP_EXCEEDED)} once {@code replay_count} reached the policy's
     * {@code maxReplayCount}; {@code StateException(FLOW_TERMINAL)} for a member of a cancelled flow.
     *
     * @return a cold {@link Mono} emitting {@link Replayed} after the commit
     */
    Mono<Replayed> replayExecution(ExecutionId id, ReplayOptions options);
}
