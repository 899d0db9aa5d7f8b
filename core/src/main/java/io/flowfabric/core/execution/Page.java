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

    /**
     * The page of a keyset listing that fetched up to {@code limit + 1} rows: the first {@code limit}, with the cursor
     * of the last of them when the extra row shows that more follow, and no cursor otherwise.
     */
    public static <T> Page<T> ofFetched(List<T> fetched, int limit,
                                        java.util.function.Function<T, String> cursorOf) {
        if (fetched.size() <= limit) {
            return new Page<>(fetched, null);
        }
        List<T> items = fetched.subList(0, limit);
        return new Page<>(items, cursorOf.apply(items.get(limit - 1)));
    }
}
