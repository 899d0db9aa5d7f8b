package io.flowfabric.core.streams;

import java.util.Objects;

/**
 * A position in a stream (spec 01 §3): {@link #START} (before the first frame), {@link #END} (after the last frame)
 * or {@link #at(FrameId)} a frame id. Which cursors an operation accepts, and whether a bound is inclusive, is stated
 * on the operation.
 *
 * @since 0.1
 */
public sealed interface StreamCursor permits StreamCursor.Start, StreamCursor.End, StreamCursor.At {

    /** Before the first frame. */
    StreamCursor START = new Start();

    /** After the last frame. */
    StreamCursor END = new End();

    /**
     * The position of a frame id.
     *
     * @param id the id; need not be the id of an existing frame
     * @return the cursor
     */
    static At at(FrameId id) {
        return new At(id);
    }

    /**
     * The position of a frame id in text form, as {@link FrameId#parse(String)}.
     *
     * @param id {@code <ts_ms>-<seq>} or {@code <ts_ms>}
     * @return the cursor
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_CURSOR} for malformed text
     */
    static At at(String id) {
        return new At(FrameId.parse(id));
    }

    /** {@link #START}. */
    record Start() implements StreamCursor {
        @Override
        public String toString() {
            return "START";
        }
    }

    /** {@link #END}. */
    record End() implements StreamCursor {
        @Override
        public String toString() {
            return "END";
        }
    }

    /**
     * A frame id position.
     *
     * @param id the frame id
     */
    record At(FrameId id) implements StreamCursor {
        public At {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public String toString() {
            return "at(" + id + ")";
        }
    }
}
