package io.flowfabric.core.execution;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Options of {@code replayExecution} (spec 02 §8.4). Nothing is validated here: the operation validates when it is
 * subscribed and signals {@link io.flowfabric.core.error.ValidationException} without writing anything.
 *
 * @param reason        free text of at most 1 KiB, recorded in the {@code replayed} operator event; may be
 *                      {@code null}
 * @param deadlineAfter the replayed execution's new deadline, measured from the database's now; 1 ms..365 days, or
 *                      {@code null} for no deadline (the old deadline is always cleared)
 * @since 0.1
 */
public record ReplayOptions(@Nullable String reason, @Nullable Duration deadlineAfter) {

    private static final ReplayOptions NONE = new ReplayOptions(null, null);

    /** No reason and no deadline. */
    public static ReplayOptions none() {
        return NONE;
    }

    /** A replay with a reason and no deadline. */
    public static ReplayOptions withReason(@Nullable String reason) {
        return new ReplayOptions(reason, null);
    }

    /** The same options with a new deadline measured from the database's now at replay. */
    public ReplayOptions deadlineAfter(@Nullable Duration after) {
        return new ReplayOptions(reason, after);
    }
}
