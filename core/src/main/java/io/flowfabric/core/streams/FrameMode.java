package io.flowfabric.core.streams;

import java.util.Objects;

/**
 * How a frame is kept (spec 05 §1, §4, §5). Only the canonical {@linkplain #literal() literals} are stored.
 *
 * @since 0.1
 */
public enum FrameMode {
    /** {@code durable}: kept for as long as the stream is retained. */
    DURABLE("durable"),
    /**
     * {@code summary}: a JSON Merge Patch applied to the stream's summary document; the patch is also kept as a
     * durable frame.
     */
    SUMMARY("summary"),
    /** {@code best_effort}: live output, trimmed to a rate-driven length and expired after its TTL. */
    BEST_EFFORT("best_effort");

    private final String literal;

    FrameMode(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code best_effort}
     */
    public String literal() {
        return literal;
    }

    /**
     * Looks a mode up by its literal.
     *
     * @param literal the literal
     * @return the mode
     * @throws IllegalArgumentException when the literal is unknown
     */
    public static FrameMode fromLiteral(String literal) {
        Objects.requireNonNull(literal, "literal");
        for (FrameMode mode : values()) {
            if (mode.literal.equals(literal)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown FrameMode literal: " + literal);
    }
}
