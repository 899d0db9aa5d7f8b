package io.flowfabric.postgres.sql;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A typed SQL NULL for statement parameters: R2DBC needs the Java type of a null to bind it. Use
 * {@link #nullable(Object, Class)} for values that may be absent.
 */
public record Bind(Class<?> type) {

    public Bind {
        Objects.requireNonNull(type, "type");
    }

    /** {@code value}, or a typed NULL of {@code type} when it is {@code null}. */
    public static Object nullable(@Nullable Object value, Class<?> type) {
        return value == null ? new Bind(type) : value;
    }
}
