package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The unchecked root of every failure the engine signals (spec 01 §7).
 *
 * <p>The set of subclasses is closed, so callers can switch over them exhaustively. Each carries a
 * {@linkplain #detail() detail} naming the field, rule or entity involved; the message is
 * {@code CATEGORY(KIND): detail}.
 *
 * @since 0.1
 */
public abstract sealed class FlowFabricException extends RuntimeException
        permits NotFoundException, ValidationException, ContentionException, ConflictException, StateException,
                UnavailableException, TimeoutException {

    /** The detail without the {@code CATEGORY(KIND): } prefix. */
    private final String detail;

    FlowFabricException(String category, String kind, String detail, @Nullable Throwable cause) {
        super(category + "(" + kind + "): " + Objects.requireNonNull(detail, "detail"), cause);
        this.detail = detail;
    }

    /**
     * Whether repeating the same operation may succeed without any other change: true for contention and for the
     * transport and pool-exhaustion kinds of {@link UnavailableException}, false otherwise.
     *
     * @return true when a retry is reasonable
     */
    public abstract boolean retryable();

    /**
     * The human-readable detail, without the {@code CATEGORY(KIND): } prefix of the message.
     *
     * @return the detail, never {@code null}
     */
    public String detail() {
        return detail;
    }
}
