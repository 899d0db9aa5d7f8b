package io.flowfabric.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The parsed options of one scenario: {@code --name value} pairs and {@code --name} flags, checked against the
 * scenario's {@link BenchOption}s. Typed getters fail with {@link BenchUsageException} for malformed values.
 * Immutable.
 */
final class BenchOptions {

    private final Map<String, BenchOption> specs;
    private final Map<String, String> values;
    private final Set<String> flags;

    private BenchOptions(Map<String, BenchOption> specs, Map<String, String> values, Set<String> flags) {
        this.specs = specs;
        this.values = values;
        this.flags = flags;
    }

    /**
     * Parses {@code args} (the arguments after the scenario name).
     *
     * @throws BenchUsageException for an unknown option, a missing value or a repeated option
     */
    static BenchOptions parse(List<BenchOption> options, List<String> args) {
        Map<String, BenchOption> specs = new LinkedHashMap<>();
        for (BenchOption option : options) {
            specs.put(option.name(), option);
        }
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> flags = new HashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new BenchUsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            BenchOption spec = specs.get(name);
            if (spec == null) {
                throw new BenchUsageException("unknown option --" + name);
            }
            if (values.containsKey(name) || flags.contains(name)) {
                throw new BenchUsageException("option --" + name + " given twice");
            }
            if (spec.flag()) {
                if (inline != null) {
                    throw new BenchUsageException("option --" + name + " takes no value");
                }
                flags.add(name);
            } else if (inline != null) {
                values.put(name, inline);
            } else {
                if (i + 1 >= args.size()) {
                    throw new BenchUsageException("option --" + name + " needs a value");
                }
                values.put(name, args.get(++i));
            }
        }
        return new BenchOptions(specs, values, flags);
    }

    /** The option's value, or its default; empty when neither is set. */
    Optional<String> value(String name) {
        String value = values.get(name);
        return Optional.ofNullable(value != null ? value : spec(name).defaultValue());
    }

    /** Whether the flag was given. */
    boolean flag(String name) {
        spec(name);
        return flags.contains(name);
    }

    /** The value as an integer of at least {@code min}. */
    int intAtLeast(String name, int min) {
        return parseInt(name, required(name), min);
    }

    /** A comma-separated list of integers, each at least {@code min}, in the order given, without duplicates. */
    List<Integer> intList(String name, int min) {
        List<Integer> list = new ArrayList<>();
        for (String part : required(name).split(",", -1)) {
            int value = parseInt(name, part.trim(), min);
            if (list.contains(value)) {
                throw new BenchUsageException("--" + name + " lists " + value + " twice");
            }
            list.add(value);
        }
        return List.copyOf(list);
    }

    private String required(String name) {
        return value(name).orElseThrow(() -> new BenchUsageException("option --" + name + " is required"));
    }

    private static int parseInt(String name, @Nullable String text, int min) {
        int value;
        try {
            value = Integer.parseInt(String.valueOf(text));
        } catch (NumberFormatException e) {
            throw new BenchUsageException("--" + name + " must be an integer, was '" + text + "'");
        }
        if (value < min) {
            throw new BenchUsageException("--" + name + " must be at least " + min + ", was " + value);
        }
        return value;
    }

    private BenchOption spec(String name) {
        BenchOption spec = specs.get(name);
        if (spec == null) {
            // A scenario asking for an option it did not declare is a programming error, not a usage error.
            throw new IllegalArgumentException("undeclared option " + name);
        }
        return spec;
    }
}
