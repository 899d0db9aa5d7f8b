package io.flowfabric.bench;

import org.jspecify.annotations.Nullable;

/**
 * A command-line option of a scenario: {@code --name value}, or {@code --name} alone for a flag.
 *
 * @param name         the name without the leading dashes
 * @param flag         whether the option takes no value
 * @param defaultValue the value when the option is absent; {@code null} for flags and optional values
 * @param placeholder  how the value is shown in the usage text: the default, or a name for optional values
 * @param description  one line for the usage text
 */
record BenchOption(String name, boolean flag, @Nullable String defaultValue, String placeholder,
                   String description) {

    /** An option with a value and a default. */
    static BenchOption value(String name, String defaultValue, String description) {
        return new BenchOption(name, false, defaultValue, defaultValue, description);
    }

    /** An option with a value and no default; {@code placeholder} names the value in the usage text. */
    static BenchOption optional(String name, String placeholder, String description) {
        return new BenchOption(name, false, null, placeholder, description);
    }

    /** An option without a value; absent means off. */
    static BenchOption flag(String name, String description) {
        return new BenchOption(name, true, null, "", description);
    }

    /** How the option is written in the usage text. */
    String synopsis() {
        return flag ? "--" + name : "--" + name + " <" + placeholder + ">";
    }
}
