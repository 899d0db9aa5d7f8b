package io.flowfabric.bench;

import java.io.PrintStream;
import java.util.List;

/**
 * One benchmark scenario, selected by name on the command line ({@code testing/bench <name> [options]}). Each
 * scenario is one class; {@link Bench} lists them.
 *
 * <p>A scenario runs on the caller's (main) thread and may block there; it must never block on a driver or Reactor
 * thread. It prints a human-readable report to {@code out} and ends it with exactly one line
 * {@code RESULT scenario=<name> key=value ...}.
 */
interface BenchScenario {

    /** The name used on the command line. */
    String name();

    /** One line saying what the scenario measures, for the usage text. */
    String summary();

    /** The options the scenario accepts, with their defaults, for parsing and the usage text. */
    List<BenchOption> options();

    /**
     * Runs the scenario.
     *
     * @param options the parsed command-line options
     * @param out     where the report goes
     * @throws BenchFailure when a check on the outcome fails (the run is invalid)
     * @throws Exception    when the run cannot complete
     */
    void run(BenchOptions options, PrintStream out) throws Exception;
}
