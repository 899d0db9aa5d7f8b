package io.flowfabric.core;

import io.flowfabric.core.spi.AdminOperations;
import io.flowfabric.core.spi.EventOperations;
import io.flowfabric.core.spi.ExecutionOperations;
import io.flowfabric.core.spi.FlowOperations;
import io.flowfabric.core.spi.OperatorOperations;
import io.flowfabric.core.spi.ReconcilerOperations;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.spi.WorkerOperations;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * A durable-execution engine: the entry point users hold. A backend builds it (for PostgreSQL,
 * {@code PostgresEngine.builder()}); every operation lives on one of the family facades.
 *
 * <p>Lifecycle: {@link #start()} prepares the backend (for PostgreSQL: migrates or verifies the schema) and must
 * complete before operations are used; operations called before start, or after stop, fail with
 * {@code UnavailableException(SHUTTING_DOWN)}. {@link #stop(Duration)} stops accepting new operations, waits up to
 * the grace period for in-flight ones, then releases every resource the engine owns. {@link #close()} is the
 * blocking form for try-with-resources and must not be called on a reactive thread.
 *
 * @since 0.1
 */
public interface FlowFabric extends AutoCloseable {

    /** Creating and reading executions. */
    ExecutionOperations executions();

    /** Flows: DAG structure, edges, decisions and flow cancel. */
    FlowOperations flows();

    /** Claiming and lease-holder operations. */
    WorkerOperations workers();

    /** Operator controls (trusted code only). */
    OperatorOperations operator();

    /** Health and introspection. */
    AdminOperations admin();

    /** Per-attempt output streams: append, read, summaries, tails and follows. */
    StreamOperations streams();

    /** Completion and lease-history subscriptions, and waiting for an outcome. */
    EventOperations subscriptions();

    /** The background jobs: their names and manual ticks. */
    ReconcilerOperations reconcilers();

    /**
     * Starts the engine. Cold and idempotent: subscribing again after a successful start completes at once.
     *
     * @return a {@code Mono} completing when the engine is ready, or erroring (e.g. with
     *         {@code UnavailableException(SCHEMA_MISMATCH)}) without starting
     */
    Mono<Void> start();

    /**
     * Stops the engine: new operations fail with {@code UnavailableException(SHUTTING_DOWN)}, in-flight ones get up
     * to {@code grace} to finish, then owned resources (connection pool, listener) are closed. Idempotent.
     */
    Mono<Void> stop(Duration grace);

    /** Blocking {@code stop} with a default grace period; for try-with-resources, never on a reactive thread. */
    @Override
    void close();
}
