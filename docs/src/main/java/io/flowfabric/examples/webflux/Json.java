package io.flowfabric.examples.webflux;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Renders the example's small JSON documents. The responses are flat maps of strings, numbers and booleans, so the
 * example writes them itself rather than configuring a JSON library for Spring.
 */
final class Json {

    private Json() {
    }

    /** An object from the entries in iteration order; {@code null} values are written as {@code null}. */
    static String object(Map<String, ?> fields) {
        StringBuilder out = new StringBuilder("{");
        fields.forEach((key, value) -> {
            if (out.length() > 1) {
                out.append(',');
            }
            string(out, key).append(':');
            value(out, value);
        });
        return out.append('}').toString();
    }

    private static void value(StringBuilder out, @Nullable Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked")
            Map<String, ?> nested = (Map<String, ?>) map;
            out.append(object(nested));
        } else {
            string(out, value.toString());
        }
    }

    private static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
