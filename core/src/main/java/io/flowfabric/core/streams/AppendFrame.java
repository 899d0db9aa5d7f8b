package io.flowfabric.core.streams;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One frame to append (spec 05 §1, §3–§5). A plain holder: it accepts anything at construction and the engine
 * validates it when the append is subscribed.
 *
 * <table>
 *   <caption>Rules</caption>
 *   <tr><th>Field</th><th>Rule</th><th>Default</th></tr>
 *   <tr><td>mode</td><td>required</td><td>—</td></tr>
 *   <tr><td>frameType</td><td>1–64 bytes of {@code [a-z0-9_.-]}</td><td>{@value #DEFAULT_FRAME_TYPE}</td></tr>
 *   <tr><td>payload</td><td>required; at most the execution policy's {@code stream.maxPayloadBytes} (64 KiB by
 *       default); for {@link FrameMode#SUMMARY} UTF-8 JSON nested at most 64 levels</td><td>—</td></tr>
 *   <tr><td>encoding</td><td>1–32 bytes of {@code [a-z0-9._+/-]}</td><td>{@value #DEFAULT_ENCODING}</td></tr>
 *   <tr><td>correlationId</td><td>at most 256 bytes of UTF-8</td><td>none</td></tr>
 *   <tr><td>ttl</td><td>best-effort only: 1 s..1 h</td><td>30 s</td></tr>
 *   <tr><td>maxlenFloor</td><td>best-effort only: ≥ 1 and ≤ maxlenCeiling</td><td>{@value #DEFAULT_MAXLEN_FLOOR}</td></tr>
 *   <tr><td>maxlenCeiling</td><td>best-effort only: ≤ 100 000</td><td>{@value #DEFAULT_MAXLEN_CEILING}</td></tr>
 *   <tr><td>emaAlpha</td><td>best-effort only: 0 &lt; α ≤ 1</td><td>{@value #DEFAULT_EMA_ALPHA}</td></tr>
 * </table>
 *
 * <p>The best-effort options are ignored for the other modes. The payload array is not copied: do not modify it
 * until the append has completed.
 *
 * @param mode          how the frame is kept
 * @param frameType     the frame type
 * @param payload       the payload bytes, stored as they are
 * @param encoding      the payload's encoding label
 * @param correlationId an optional correlation id
 * @param ttl           best-effort: how long the frame lives
 * @param maxlenFloor   best-effort: the smallest length the dynamic cap trims to
 * @param maxlenCeiling best-effort: the largest length the dynamic cap allows
 * @param emaAlpha      best-effort: the weight of the newest rate sample in the moving average
 * @since 0.1
 */
public record AppendFrame(FrameMode mode, String frameType, byte[] payload, String encoding,
                          @Nullable String correlationId, Duration ttl, int maxlenFloor, int maxlenCeiling,
                          double emaAlpha) {

    /** Default frame type. */
    public static final String DEFAULT_FRAME_TYPE = "event";
    /** Default encoding label. */
    public static final String DEFAULT_ENCODING = "binary";
    /** Default best-effort TTL. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    /** Shortest best-effort TTL. */
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    /** Longest best-effort TTL. */
    public static final Duration MAX_TTL = Duration.ofHours(1);
    /** Default smallest best-effort length. */
    public static final int DEFAULT_MAXLEN_FLOOR = 64;
    /** Default largest best-effort length. */
    public static final int DEFAULT_MAXLEN_CEILING = 16_384;
    /** The largest {@code maxlenCeiling}. */
    public static final int MAX_MAXLEN_CEILING = 100_000;
    /** Default moving-average weight. */
    public static final double DEFAULT_EMA_ALPHA = 0.2;

    /**
     * A durable frame with the default type.
     *
     * @param payload  the bytes
     * @param encoding the encoding label, for example {@code binary} or {@code utf8}
     * @return the frame
     */
    public static AppendFrame durable(byte[] payload, String encoding) {
        return builder(FrameMode.DURABLE, payload).encoding(encoding).build();
    }

    /**
     * A durable frame of UTF-8 text, encoding {@code utf8}.
     *
     * @param text the text
     * @return the frame
     */
    public static AppendFrame durableText(String text) {
        return durable(text.getBytes(StandardCharsets.UTF_8), "utf8");
    }

    /**
     * A summary frame: a JSON Merge Patch (RFC 7396, with {@value JsonMergePatch#NULL_SENTINEL} for an explicit
     * {@code null}), encoding {@code json}.
     *
     * @param jsonPatch the patch as JSON text
     * @return the frame
     */
    public static AppendFrame summary(String jsonPatch) {
        return builder(FrameMode.SUMMARY, jsonPatch.getBytes(StandardCharsets.UTF_8)).encoding("json").build();
    }

    /**
     * A best-effort frame with the default options.
     *
     * @param payload  the bytes
     * @param encoding the encoding label
     * @return the frame
     */
    public static AppendFrame bestEffort(byte[] payload, String encoding) {
        return builder(FrameMode.BEST_EFFORT, payload).encoding(encoding).build();
    }

    /**
     * A builder with every default.
     *
     * @param mode    how the frame is kept
     * @param payload the bytes
     * @return the builder
     */
    public static Builder builder(FrameMode mode, byte[] payload) {
        return new Builder(mode, payload);
    }

    /** @return the components with the payload's size instead of its bytes */
    @Override
    public String toString() {
        return "AppendFrame[mode=" + mode + ", frameType=" + frameType + ", payload="
                + (payload == null ? "null" : payload.length + " bytes") + ", encoding=" + encoding + "]";
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private final FrameMode mode;
        private final byte[] payload;
        private String frameType = DEFAULT_FRAME_TYPE;
        private String encoding = DEFAULT_ENCODING;
        private @Nullable String correlationId;
        private Duration ttl = DEFAULT_TTL;
        private int maxlenFloor = DEFAULT_MAXLEN_FLOOR;
        private int maxlenCeiling = DEFAULT_MAXLEN_CEILING;
        private double emaAlpha = DEFAULT_EMA_ALPHA;

        private Builder(FrameMode mode, byte[] payload) {
            this.mode = mode;
            this.payload = payload;
        }

        /**
         * Sets the frame type (default {@value AppendFrame#DEFAULT_FRAME_TYPE}).
         *
         * @param frameType 1–64 bytes of {@code [a-z0-9_.-]}
         * @return this builder
         */
        public Builder frameType(String frameType) {
            this.frameType = frameType;
            return this;
        }

        /**
         * Sets the encoding label (default {@value AppendFrame#DEFAULT_ENCODING}).
         *
         * @param encoding 1–32 bytes of {@code [a-z0-9._+/-]}, for example {@code utf8} or {@code json}
         * @return this builder
         */
        public Builder encoding(String encoding) {
            this.encoding = encoding;
            return this;
        }

        /**
         * Sets the correlation id (none by default).
         *
         * @param correlationId at most 256 bytes of UTF-8, or {@code null} for none
         * @return this builder
         */
        public Builder correlationId(@Nullable String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        /**
         * Sets how long a best-effort frame lives (default 30 s).
         *
         * @param ttl 1 s..1 h
         * @return this builder
         */
        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        /**
         * Sets the bounds of the best-effort length cap.
         *
         * @param floor   smallest best-effort length (default {@value AppendFrame#DEFAULT_MAXLEN_FLOOR})
         * @param ceiling largest best-effort length (default {@value AppendFrame#DEFAULT_MAXLEN_CEILING})
         * @return this builder
         */
        public Builder maxlen(int floor, int ceiling) {
            this.maxlenFloor = floor;
            this.maxlenCeiling = ceiling;
            return this;
        }

        /**
         * Sets the weight of the newest rate sample (default {@value AppendFrame#DEFAULT_EMA_ALPHA}).
         *
         * @param alpha 0 &lt; α ≤ 1
         * @return this builder
         */
        public Builder emaAlpha(double alpha) {
            this.emaAlpha = alpha;
            return this;
        }

        /**
         * Builds the frame; nothing is validated until it is appended.
         *
         * @return the frame
         */
        public AppendFrame build() {
            return new AppendFrame(mode, frameType, payload, encoding, correlationId, ttl, maxlenFloor,
                    maxlenCeiling, emaAlpha);
        }
    }
}
