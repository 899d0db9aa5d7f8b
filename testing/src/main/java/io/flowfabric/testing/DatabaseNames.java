package io.flowfabric.testing;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Generates the names of test databases: {@code fft_<hint>_<counter>_<random>}, only {@code [a-z0-9_]}, at most 63
 * characters (PostgreSQL's identifier limit, beyond which it silently truncates). The counter keeps names unique in
 * one JVM; the random suffix keeps JVMs that share an external server apart.
 */
final class DatabaseNames {

    static final String PREFIX = "fft_";
    static final int MAX_LENGTH = 63;
    private static final int RANDOM_LENGTH = 6;
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    private DatabaseNames() {
    }

    /** A unique database name for {@code hint}. */
    static String unique(String hint, long counter, RandomGenerator random) {
        StringBuilder suffix = new StringBuilder("_").append(counter).append('_');
        for (int i = 0; i < RANDOM_LENGTH; i++) {
            suffix.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        String sanitized = sanitize(hint);
        int room = MAX_LENGTH - PREFIX.length() - suffix.length();
        if (sanitized.length() > room) {
            // A cut may end on an underscore; the suffix brings its own.
            sanitized = sanitized.substring(0, room).replaceAll("_+$", "");
        }
        return PREFIX + sanitized + suffix;
    }

    /**
     * Turns a hint such as a class name into {@code [a-z0-9_]}: camel case becomes snake case, every other character
     * an underscore, runs of underscores collapse, and an empty result becomes {@code db}.
     */
    static String sanitize(String hint) {
        StringBuilder out = new StringBuilder(hint.length() + 8);
        char previous = 0;
        for (int i = 0; i < hint.length(); i++) {
            char c = hint.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if ((previous >= 'a' && previous <= 'z') || (previous >= '0' && previous <= '9')) {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                out.append(c);
            } else {
                out.append('_');
            }
            previous = c;
        }
        String collapsed = out.toString().replaceAll("_+", "_").replaceAll("^_|_$", "");
        return collapsed.isEmpty() ? "db" : collapsed.toLowerCase(Locale.ROOT);
    }

    /** Quotes a generated name as an SQL identifier; names are already {@code [a-z0-9_]}, quoting is defensive. */
    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
