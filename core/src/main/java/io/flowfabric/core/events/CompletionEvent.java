package io.flowfabric.core.events;

/**
 * A completion with its position in the outbox. Store {@link #cursor()} after handling the event and subscribe from
 * it to receive exactly the events after it.
 *
 * @param gap true only on the first event after a subscription that asked to skip pruned events
 *            ({@code acceptGap}) and started at the pruning watermark
 * @since 0.1
 */
public record CompletionEvent(EventCursor cursor, long eventId, CompletionPayload payload, boolean gap) {
}
