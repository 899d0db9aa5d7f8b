package io.flowfabric.postgres.streams;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.FrameMode;
import io.flowfabric.core.streams.JsonMergePatch;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A frame that passed the field rules of spec 05 §1, §4 and §5 (everything but the policy's payload limit and the
 * frame-count limit, which need the execution row). Summary patches are parsed here, so malformed JSON is rejected
 * before any database access.
 *
 * @param frame the request
 * @param patch the parsed merge patch of a summary frame, else {@code null}
 * @param ttlMs the TTL of a best-effort frame in milliseconds, else {@code null}
 */
record ValidFrame(AppendFrame frame, @Nullable JsonNode patch, @Nullable Long ttlMs) {

    /** Frames per {@code appendFrames} call. */
    static final int MAX_BATCH = 100;

    static List<ValidFrame> validateAll(@Nullable List<AppendFrame> frames) {
        if (frames == null || frames.isEmpty()) {
            throw invalid("appendFrames needs at least one frame");
        }
        InputRules.maxCount("frames per appendFrames", frames.size(), MAX_BATCH);
        List<ValidFrame> valid = new ArrayList<>(frames.size());
        for (AppendFrame frame : frames) {
            valid.add(validate(frame));
        }
        return valid;
    }

    static ValidFrame validate(@Nullable AppendFrame frame) {
        if (frame == null) {
            throw invalid("frame is required");
        }
        if (frame.mode() == null) {
            throw invalid("frame mode is required");
        }
        InputRules.frameType(frame.frameType());
        InputRules.encoding(frame.encoding());
        InputRules.maxBytes("frame payload", frame.payload(), Limits.MAX_STREAM_PAYLOAD_BYTES);
        if (frame.correlationId() != null) {
            InputRules.maxUtf8Bytes("correlationId", frame.correlationId(), Limits.MAX_IDENTITY_BYTES);
        }
        JsonNode patch = null;
        Long ttlMs = null;
        if (frame.mode() == FrameMode.SUMMARY) {
            patch = JsonMergePatch.parse(frame.payload());
        } else if (frame.mode() == FrameMode.BEST_EFFORT) {
            ttlMs = InputRules.durationInRange("ttl", frame.ttl(), AppendFrame.MIN_TTL, AppendFrame.MAX_TTL,
                    ValidationException.Kind.INVALID_INPUT).toMillis();
            if (frame.maxlenFloor() < 1 || frame.maxlenCeiling() > AppendFrame.MAX_MAXLEN_CEILING
                    || frame.maxlenFloor() > frame.maxlenCeiling()) {
                throw invalid("best-effort maxlen needs 1 <= floor <= ceiling <= " + AppendFrame.MAX_MAXLEN_CEILING);
            }
            double alpha = frame.emaAlpha();
            if (!(alpha > 0 && alpha <= 1)) {
                throw invalid("best-effort emaAlpha must be in (0, 1]");
            }
        }
        return new ValidFrame(frame, patch, ttlMs);
    }

    private static ValidationException invalid(String detail) {
        return new ValidationException(ValidationException.Kind.INVALID_INPUT, detail);
    }
}
