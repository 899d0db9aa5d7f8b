package io.flowfabric.core.spi;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.CompletionPayload;
import io.flowfabric.core.events.ExecutionOutcome;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.OperatorEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.id.ExecutionId;
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Subscriptions to the outboxes (spec 04 §4–§5): every terminal transition's completion event and every lease
 * change, as endless, resumable {@code Flux}es.
 *
 * <p>Shared contract of the subscriptions:
 * <ul>
 *   <li><b>Cold and independent.</b> Each subscriber has its own position and covers all partitions.</li>
 *   <li><b>Lossless, ordered, no duplicates.</b> Events arrive in cursor order (transaction id, event id). An event
 *       whose transaction committed after a later-numbered one is still delivered, exactly once, in cursor order:
 *       reads only return rows of transactions older than the oldest one still running.</li>
 *   <li><b>Resumable.</b> Subscribing with the cursor of the last event handled delivers exactly the events after
 *       it.</li>
 *   <li><b>Backpressure.</b> The next batch is read only when the subscriber has requested more than it holds; a
 *       subscriber holds at most one batch; a slow subscriber slows only its own reads.</li>
 *   <li><b>Wake-ups.</b> Reads happen on a NOTIFY of the family's channel (through the engine's one listener) or at
 *       the poll interval, whichever comes first, and at once after a full batch. A pooled connection is held only
 *       while a batch is read. A lost listener is absorbed by polling.</li>
 *   <li><b>Completion and errors.</b> Transport and contention errors are retried inside the subscription with
 *       backoff; other errors end it with {@code onError}; stopping the engine completes it. Cancelling releases
 *       everything it held. Signals are emitted on driver threads.</li>
 * </ul>
 *
 * @since 0.1
 */
public interface EventOperations {

    /**
     * Completion events with their cursors. A cursor older than the pruning watermark is
     * {@code StateException(CURSOR_EXPIRED)} unless the request accepts a gap.
     */
    Flux<CompletionEvent> subscribeCompletions(SubscribeRequest request);

    /** {@link #subscribeCompletions} without the cursors, for consumers that do not resume. */
    default Flux<CompletionPayload> completions(SubscribeRequest request) {
        return subscribeCompletions(request).map(CompletionEvent::payload);
    }

    /** Lease history: acquired, renewed, expired, reclaimed, revoked and released events, with their cursors. */
    Flux<LeaseEvent> subscribeLeaseHistory(SubscribeRequest request);

    /**
     * Operator events (cancels, replays, flow cancel requests, policy enforcement) with their cursors, filtered by
     * namespace, instance tag, subject execution or flow, and {@link SubscribeRequest#operatorTypes()}.
     */
    Flux<OperatorEvent> subscribeOperatorEvents(SubscribeRequest request);

    /**
     * Waits until the execution is terminal and emits how it ended; at once when it already is. Errors with
     * {@code NotFoundException(EXECUTION)} when it does not exist and with {@code TimeoutException(await_outcome)}
     * when {@code timeout} (local clock) passes first.
     */
    Mono<ExecutionOutcome> awaitOutcome(ExecutionId id, Duration timeout);
}
