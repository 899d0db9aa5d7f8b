package io.flowfabric.core.streams;

import io.flowfabric.core.state.EndReason;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of a read or tail: frames in id order and, once the stream's attempt has ended, when and why it closed.
 * A closed stream receives no more frames, so a reader that has seen every frame up to the close can stop.
 *
 * @param frames       the frames, in id order (immutable)
 * @param closedAt     when the attempt ended; {@code null} while the stream is open
 * @param closedReason why the attempt ended (for example {@code COMPLETED}); {@code null} while the stream is open
 * @since 0.1
 */
public record StreamFrames(List<StreamFrame> frames, @Nullable Instant closedAt, @Nullable EndReason closedReason) {

    public StreamFrames {
        frames = List.copyOf(Objects.requireNonNull(frames, "frames"));
    }

    /** @return whether the stream is closed (its attempt has ended) */
    public boolean closed() {
        return closedAt != null;
    }

    /** @return whether no frame was returned */
    public boolean isEmpty() {
        return frames.isEmpty();
    }

    /** @return the id of the last frame, or {@code null} when there is none */
    public @Nullable FrameId lastId() {
        return frames.isEmpty() ? null : frames.get(frames.size() - 1).id();
    }
}
