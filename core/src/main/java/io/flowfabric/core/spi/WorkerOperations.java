package io.flowfabric.core.spi;

import io.flowfabric.core.execution.Cancelled;
import io.flowfabric.core.execution.ChildrenOutcome;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.Completed;
import io.flowfabric.core.execution.Delayed;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.LeaseRenewal;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.FailureClass;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a worker does: claim executions under a lease and then act as the lease holder (spec 02 §4–§5).
 *
 * <p>Every lease-holder method takes a {@link LeaseFence} (a claim's {@code handle().fence()}), locks the execution
 * row and checks the fence against the database clock first (spec 01 §6.3). A {@code null} fence is
 * {@code ValidationException(FENCE_REQUIRED)}. A failed fence check changes nothing and is signalled as
 * {@code StateException} with kind {@code STALE_LEASE}, {@code LEASE_EXPIRED}, {@code LEASE_REVOKED} or
 * {@code EXECUTION_NOT_ACTIVE}, or {@code NotFoundException(EXECUTION)}.
 *
 * @since 0.1
 */
public interface WorkerOperations {

    /**
     * Claims at most one execution: the highest priority, then oldest, eligible execution of the requested lanes whose
     * required capabilities the worker covers. When none is found and {@code maxWait} is positive, waits (holding no
     * pooled connection) and tries again until {@code maxWait} passes.
     *
     * @return a cold {@code Mono} emitting the claimed execution, or completing empty when nothing was claimed
     */
    Mono<ClaimedExecution> claim(ClaimRequest request);

    /**
     * Claims up to {@code n} (1..100) executions in one transaction with one statement across all partitions, in
     * priority order. Waits like {@link #claim} only when nothing was found and {@code maxWait} is positive.
     */
    Flux<ClaimedExecution> claimBatch(ClaimRequest request, int n);

    /**
     * {@link #claimBatch(ClaimRequest, int)} that gives up waiting once {@code stopWaiting} signals (a value or
     * completion): a wait in progress ends at once and the call completes without further attempts. A claim statement
     * already sent is never abandoned: its executions are emitted, so none is left leased to nobody. This lets a
     * stopping worker leave a long {@code maxWait} at once. The default ignores {@code stopWaiting} (the wait then
     * lasts up to {@code maxWait}).
     */
    default Flux<ClaimedExecution> claimBatch(ClaimRequest request, int n, Publisher<?> stopWaiting) {
        return claimBatch(request, n);
    }

    /**
     * Extends the lease to now + {@code ttl} (the lease's own TTL when {@code null}); the epoch does not change. An
     * expired lease is not revived ({@code LEASE_EXPIRED}).
     */
    Mono<LeaseRenewal> renew(@Nullable LeaseFence fence, @Nullable Duration ttl);

    /** Records progress (percent 0..100 and/or a message of at most 1 KiB); last write wins; no event. */
    Mono<Void> progress(@Nullable LeaseFence fence, @Nullable Integer percent, @Nullable String message);

    /**
     * Completes the execution successfully with an optional result (at most 1 MiB by default) and ends the lease.
     * Idempotent for the same lease: a replay emits {@link Completed} and keeps the first result.
     */
    Mono<Completed> complete(@Nullable LeaseFence fence, byte @Nullable [] result, @Nullable String encoding);

    /**
     * Fails the current attempt. Retries with the policy's backoff when the class is retryable and retries remain,
     * else ends the execution {@code failed}. Idempotent for the same lease: a replay emits the recorded outcome.
     */
    Mono<FailOutcome> fail(@Nullable LeaseFence fence, FailureReason reason, FailureClass failureClass);

    /** Cancels the execution as its lease holder. Idempotent for the same lease. */
    Mono<Cancelled> cancel(@Nullable LeaseFence fence, @Nullable String reason);

    /**
     * Pauses the attempt for {@code duration} (0..30 days) and releases the lease; the next claim continues the same
     * attempt. A zero duration yields: the execution is claimable again at once.
     */
    Mono<Delayed> delay(@Nullable LeaseFence fence, Duration duration);

    /**
     * Waits for the execution's edge group (its upstream dependencies in a flow). Releases the lease only when the
     * group is still pending.
     */
    Mono<ChildrenOutcome> waitChildren(@Nullable LeaseFence fence);
}
