package io.flowfabric.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of {@code testing/bench}: {@code Bench <scenario> [options]}.
 *
 * <p>Exit status: 0 when the scenario ran and its checks passed; 1 when a check failed or the run broke (a
 * {@code FAIL} line says why); 2 for a wrong command line (the usage text is printed). Scenarios are one class each
 * and are listed in {@link #SCENARIOS}.
 *
 * @since 0.1
 */
public final class Bench {

    /** Every scenario, in the order the usage text lists them. A new scenario is one class added here. */
    private static final List<BenchScenario> SCENARIOS = List.of(
            new LifecycleScenario(),
            new CompletionsScenario(),
            new FlowsScenario(),
            new StreamsScenario(),
            new ReconcilersScenario(),
            new PickupScenario());

    private Bench() {
    }

    /**
     * Runs the scenario named by {@code args[0]} with the remaining arguments as its options, then exits the JVM with
     * the status described in the class documentation.
     *
     * @param args the scenario name followed by its options
     */
    public static void main(String[] args) {
        quietLogging();
        int status = run(args, System.out, System.err);
        System.out.flush();
        // The embedded server and the driver's threads would keep the JVM alive; the server stops in a shutdown hook.
        System.exit(status);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        String name = args[0];
        if (name.equals("-h") || name.equals("--help") || name.equals("help")) {
            usage(out);
            return 0;
        }
        BenchScenario scenario = SCENARIOS.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (scenario == null) {
            err.println("unknown scenario '" + name + "'");
            usage(err);
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("-h") || rest.contains("--help")) {
            usage(out);
            return 0;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(scenario.options(), rest);
        } catch (BenchUsageException e) {
            err.println(e.getMessage());
            usage(err);
            return 2;
        }
        try {
            scenario.run(options, out);
            return 0;
        } catch (BenchUsageException e) {
            err.println(e.getMessage());
            usage(err);
            return 2;
        } catch (BenchFailure e) {
            out.println("FAIL scenario=" + scenario.name() + " " + e.getMessage());
            return 1;
        } catch (Exception | Error e) {
            out.println("FAIL scenario=" + scenario.name() + " error=" + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static void usage(PrintStream to) {
        to.println("usage: testing/bench <scenario> [options]");
        to.println();
        to.println("scenarios:");
        for (BenchScenario scenario : SCENARIOS) {
            to.println(String.format(Locale.ROOT, "  %-12s %s", scenario.name(), scenario.summary()));
            for (BenchOption option : scenario.options()) {
                to.println(String.format(Locale.ROOT, "      %-26s %s", option.synopsis(), option.description()));
            }
        }
        to.println();
        to.println("Without --url the database comes from the testing module: FLOWFABRIC_TEST_PG_URL when set,");
        to.println("else an embedded PostgreSQL 17 (fsync and synchronous_commit off). See docs/benchmarks.md.");
    }

    /**
     * Logback without a configuration file logs everything at DEBUG, which would bury the report and cost time
     * during measurement; only warnings and errors are worth seeing here.
     */
    private static void quietLogging() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
    }
}
