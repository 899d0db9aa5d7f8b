package io.flowfabric.core.streams;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One frame as stored: its id, mode and type, and the payload bytes with their encoding label, exactly as appended
 * (never transcoded). Two frames are equal when every component is, the payload compared by content.
 *
 * @param id            the frame id; usable as a server-sent-event id for resuming with {@code at(id)}
 * @param mode          how the frame is kept
 * @param frameType     the frame type, for example {@code event}
 * @param payload       the payload bytes; the array is shared, do not modify it
 * @param encoding      the encoding label, for example {@code binary}, {@code utf8} or {@code json}
 * @param correlationId the correlation id given at append, if any
 * @since 0.1
 */
public record StreamFrame(FrameId id, FrameMode mode, String frameType, byte[] payload, String encoding,
                          @Nullable String correlationId) {

    public StreamFrame {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(frameType, "frameType");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(encoding, "encoding");
    }

    /**
     * The payload decoded as UTF-8; for text payloads.
     *
     * @return the text (malformed bytes become U+FFFD)
     */
    public String utf8() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof StreamFrame f && id.equals(f.id) && mode == f.mode && frameType.equals(f.frameType)
                && Arrays.equals(payload, f.payload) && encoding.equals(f.encoding)
                && Objects.equals(correlationId, f.correlationId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, mode, frameType, Arrays.hashCode(payload), encoding, correlationId);
    }

    /** @return the components with the payload's size instead of its bytes */
    @Override
    public String toString() {
        return "StreamFrame[id=" + id + ", mode=" + mode.literal() + ", frameType=" + frameType + ", payload="
                + payload.length + " bytes, encoding=" + encoding
                + (correlationId == null ? "" : ", correlationId=" + correlationId) + "]";
    }
}
