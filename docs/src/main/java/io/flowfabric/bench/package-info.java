/**
 * The benchmark suite behind {@code testing/bench <scenario>}: {@link io.flowfabric.bench.Bench} parses the command
 * line and runs one {@link io.flowfabric.bench.BenchScenario} (one class per scenario, for example
 * {@link io.flowfabric.bench.LifecycleScenario}) against a PostgreSQL database resolved by the testing module, or an
 * external one given by URL. Scenarios measure the engine against a baseline run in the same process on the same
 * server, print a human-readable table, and end with one machine-readable {@code RESULT scenario=...} line. The
 * process blocks only on its main thread; every database call runs on the driver's event loops. See
 * {@code docs/benchmarks.md}.
 */
@org.jspecify.annotations.NullMarked
package io.flowfabric.bench;
