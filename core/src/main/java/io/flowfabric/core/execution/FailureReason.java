package io.flowfabric.core.execution;

import org.jspecify.annotations.Nullable;

/**
 * Why an attempt failed: a message (at most 4 KiB), an optional detail (at most 16 KiB) and an optional category
 * (at most 64 bytes). Sizes are checked when the operation is subscribed.
 *
 * @since 0.1
 */
public record FailureReason(@Nullable String message, @Nullable String detail, @Nullable String category) {

    /** A reason with only a message. */
    public static FailureReason of(String message) {
        return new FailureReason(message, null, null);
    }
}
