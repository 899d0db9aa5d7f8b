/**
 * Positions in ordered streams of records: the subscription {@link io.flowfabric.core.events.EventCursor} over the
 * outbox tables (version {@code 0x03}: transaction id and event id, spec 01 §3, 04) and the opaque keyset
 * {@link io.flowfabric.core.events.PageCursor} of list operations. Both have a base64url text form without padding,
 * and both reject anything they did not produce with {@code Validation(INVALID_CURSOR)}.
 */
@NullMarked
package io.flowfabric.core.events;

import org.jspecify.annotations.NullMarked;
