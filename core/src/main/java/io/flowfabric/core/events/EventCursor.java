package io.flowfabric.core.events;

import io.flowfabric.core.error.ValidationException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Objects;

/**
 * A subscription position in an outbox table: the writing transaction's id ({@code xid8}) and the event id, both
 * unsigned 64-bit values (spec 01 §3). Events are delivered in (transaction id, event id) order, which is commit
 * order for one execution's events.
 *
 * <p>Wire form: 17 bytes, version {@code 0x03}, the transaction id as u64 big-endian, the event id as u64
 * big-endian; the text form is base64url without padding. "From now" is expressed by passing no cursor at all; an
 * empty cursor is not a valid encoding.
 *
 * @param txId    the transaction id, unsigned
 * @param eventId the event id, unsigned
 * @since 0.1
 */
public record EventCursor(long txId, long eventId) implements Comparable<EventCursor> {

    /** The only accepted version byte; FlowFabric's {@code 0x02} is rejected. */
    public static final byte VERSION = 0x03;

    private static final int LENGTH = 17;
    private static final Base64.Encoder TEXT_ENCODER = Base64.getUrlEncoder().withoutPadding();

    /**
     * The 17-byte wire form.
     *
     * @return a new array on every call
     */
    public byte[] encode() {
        return ByteBuffer.allocate(LENGTH).put(VERSION).putLong(txId).putLong(eventId).array();
    }

    /**
     * The text form: {@link #encode()} in base64url without padding.
     *
     * @return the text
     */
    public String toText() {
        return TEXT_ENCODER.encodeToString(encode());
    }

    /**
     * Decodes the wire form.
     *
     * @param bytes the 17 bytes
     * @return the cursor
     * @throws ValidationException {@code INVALID_CURSOR} for another length or version byte
     */
    public static EventCursor decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != LENGTH) {
            throw invalid("event cursor must be 17 bytes");
        }
        if (bytes[0] != VERSION) {
            throw invalid("unsupported event cursor version");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 1, LENGTH - 1);
        return new EventCursor(in.getLong(), in.getLong());
    }

    /**
     * Decodes the text form.
     *
     * @param text base64url text
     * @return the cursor
     * @throws ValidationException {@code INVALID_CURSOR} when the text is not base64url or does not decode
     */
    public static EventCursor fromText(String text) {
        Objects.requireNonNull(text, "text");
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw invalid("event cursor is not base64url");
        }
        return decode(bytes);
    }

    /**
     * Orders by transaction id, then event id, both compared as unsigned values.
     *
     * @param other the other cursor
     * @return negative, zero or positive
     */
    @Override
    public int compareTo(EventCursor other) {
        int byTx = Long.compareUnsigned(txId, other.txId);
        return byTx != 0 ? byTx : Long.compareUnsigned(eventId, other.eventId);
    }

    /** @return the unsigned pair, for example {@code EventCursor[tx=12, event=40]} */
    @Override
    public String toString() {
        return "EventCursor[tx=" + Long.toUnsignedString(txId) + ", event=" + Long.toUnsignedString(eventId) + "]";
    }

    private static ValidationException invalid(String detail) {
        return new ValidationException(ValidationException.Kind.INVALID_CURSOR, detail);
    }
}
