package io.flowfabric.core.streams;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What an append did (spec 05 §3).
 *
 * @param frameId        the new frame's id (the spec's {@code streamId})
 * @param frameCount     frames retained in the stream after this append (best-effort trimming included)
 * @param summaryVersion the summary document's version after a {@link FrameMode#SUMMARY} frame; {@code null} for
 *                       other modes
 * @since 0.1
 */
public record AppendOutcome(FrameId frameId, long frameCount, @Nullable Long summaryVersion) {

    public AppendOutcome {
        Objects.requireNonNull(frameId, "frameId");
    }
}
