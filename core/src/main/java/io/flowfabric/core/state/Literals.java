package io.flowfabric.core.state;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/** Literal lookup tables shared by the state enums. */
final class Literals {

    private Literals() {
    }

    static <E extends Enum<E>> Map<String, E> index(E[] values, Function<E, String> literal) {
        Map<String, E> map = new HashMap<>();
        for (E value : values) {
            map.put(literal.apply(value), value);
        }
        return Map.copyOf(map);
    }

    static <E> E lookup(Map<String, E> byLiteral, String literal, String type) {
        Objects.requireNonNull(literal, "literal");
        E value = byLiteral.get(literal);
        if (value == null) {
            throw new IllegalArgumentException("unknown " + type + " literal: " + literal);
        }
        return value;
    }
}
