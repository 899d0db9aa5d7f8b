package io.flowfabric.postgres.executions;

import io.flowfabric.core.spi.ExecutionOperations;
import io.flowfabric.core.spi.OperatorOperations;
import io.flowfabric.core.spi.WorkerOperations;
import io.flowfabric.postgres.metrics.EngineMetrics;

/**
 * Builds the execution-lifecycle families for one engine, sharing the fence check and the transition procedures
 * between them. Internal: the engine is the only caller.
 */
public final class ExecutionFamilies {

    private final ExecutionOperations executions;
    private final WorkerOperations workers;
    private final OperatorOperations operator;

    public ExecutionFamilies(ExecutionSettings settings, EngineMetrics metrics) {
        LeaseFenceCheck fences = new LeaseFenceCheck(settings.sql());
        TerminalTransition terminal = new TerminalTransition(settings.sql(), settings.channels(),
                settings.notifyLeaseEvents());
        PauseTransition pause = new PauseTransition(settings.sql(), settings.channels(), settings.notifyLeaseEvents());
        this.executions = new PgExecutionOperations(settings);
        this.workers = new PgWorkerOperations(settings, metrics, fences, terminal, pause);
        this.operator = new PgOperatorOperations(settings, terminal);
    }

    public ExecutionOperations executions() {
        return executions;
    }

    public WorkerOperations workers() {
        return workers;
    }

    public OperatorOperations operator() {
        return operator;
    }
}
