/**
 * The execution lifecycle on PostgreSQL: create, claim, the lease-holder operations, operator cancel and reads
 * (spec 02). The implementations are package-private; {@link io.flowfabric.postgres.executions.ExecutionFamilies}
 * builds them for the engine.
 *
 * <p>Shared procedures live in one place each: {@code LeaseFenceCheck} (01 §6.3, every lease-holder write),
 * {@code TerminalTransition} (procedure T, every path that ends an execution) and {@code PauseTransition}
 * (procedure R, delay and wait-for-children).
 */
@NullMarked
package io.flowfabric.postgres.executions;

import org.jspecify.annotations.NullMarked;
