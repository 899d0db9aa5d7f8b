package io.flowfabric.core.execution;

import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One page of a keyset-paginated listing. {@link #nextCursor()} is present exactly when more rows follow; pass it
 * back unchanged to get the next page.
 *
 * @since 0.1
 */
public record Page<T>(List<T> items, @Nullable String cursor) {

    public Page {
        items = List.copyOf(items);
    }

    public Optional<String> nextCursor() {
        return Optional.ofNullable(cursor);
    }

    public static <T> Page<T> empty() {
        return new Page<>(List.of(), null);
    }
}
