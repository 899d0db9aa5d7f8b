package io.flowfabric.core.streams;

import io.flowfabric.core.error.ValidationException;
import java.util.Objects;

/**
 * The id of a stream frame (spec 01 §3): the stream's timestamp in epoch milliseconds and the stream's sequence number.
 * Within one stream both never go backwards, so ids order frames exactly as they were appended. The text form is
 * {@code <ts_ms>-<seq>}, both unsigned decimal; a bare {@code <ts_ms>} means {@code <ts_ms>-0}. {@link #ZERO}
 * ({@code 0-0}) addresses the position before the first frame.
 *
 * @param tsMs the frame's timestamp, epoch milliseconds, ≥ 0
 * @param seq  the frame's sequence number in its stream (the first frame is 1), ≥ 0
 * @since 0.1
 */
public record FrameId(long tsMs, long seq) implements Comparable<FrameId> {

    /** {@code 0-0}: before every frame. */
    public static final FrameId ZERO = new FrameId(0, 0);

    /** Longest decimal part accepted: 19 digits cover every non-negative {@code long}. */
    private static final int MAX_DIGITS = 19;

    /**
     * Creates the id.
     *
     * @param tsMs the timestamp, ≥ 0
     * @param seq  the sequence number, ≥ 0
     * @throws ValidationException {@code INVALID_CURSOR} when a part is negative
     */
    public FrameId {
        if (tsMs < 0 || seq < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_CURSOR,
                    "frame id parts must be non-negative");
        }
    }

    /**
     * Parses {@code <ts_ms>-<seq>} or a bare {@code <ts_ms>}.
     *
     * @param text the text
     * @return the id
     * @throws ValidationException {@code INVALID_CURSOR} for anything else, including signs, spaces and values above
     *                             {@link Long#MAX_VALUE}
     */
    public static FrameId parse(String text) {
        Objects.requireNonNull(text, "text");
        int dash = text.indexOf('-');
        if (dash < 0) {
            return new FrameId(part(text), 0);
        }
        return new FrameId(part(text.substring(0, dash)), part(text.substring(dash + 1)));
    }

    private static long part(String digits) {
        if (digits.isEmpty() || digits.length() > MAX_DIGITS) {
            throw invalid();
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid();
            }
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw invalid();
        }
    }

    private static ValidationException invalid() {
        return new ValidationException(ValidationException.Kind.INVALID_CURSOR,
                "a frame id is <ts_ms>-<seq> or <ts_ms>, unsigned decimal numbers of at most 19 digits");
    }

    /**
     * The text form.
     *
     * @return {@code <ts_ms>-<seq>}, for example {@code 1718000000000-3}
     */
    public String format() {
        return tsMs + "-" + seq;
    }

    /**
     * Orders by timestamp, then sequence number.
     *
     * @param other the other id
     * @return negative, zero or positive
     */
    @Override
    public int compareTo(FrameId other) {
        int byTs = Long.compare(tsMs, other.tsMs);
        return byTs != 0 ? byTs : Long.compare(seq, other.seq);
    }

    /** @return the text form, as {@link #format()} */
    @Override
    public String toString() {
        return format();
    }
}
