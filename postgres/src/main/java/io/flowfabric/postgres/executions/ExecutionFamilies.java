package io.flowfabric.postgres.executions;

import io.flowfabric.core.spi.ExecutionOperations;
import io.flowfabric.core.spi.OperatorOperations;
import io.flowfabric.core.spi.WorkerOperations;
import io.flowfabric.postgres.metrics.EngineMetrics;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.TerminalOutcome;
import java.time.Duration;
import java.util.List;

/**
 * Builds the execution-lifecycle families for one engine, sharing the fence check and the transition procedures
 * between them. Internal: the engine is the only caller.
 */
public final class ExecutionFamilies {

    private final ExecutionOperations executions;
    private final WorkerOperations workers;
    private final PgOperatorOperations operator;
    private final List<ReconcilerJob> jobs;
    private final TerminalTransition terminal;
    private final PgExecutionOperations executionOps;
    private final LeaseFenceCheck fences;

    public ExecutionFamilies(ExecutionSettings settings, EngineMetrics metrics) {
        LeaseFenceCheck fences = new LeaseFenceCheck(settings.sql());
        TerminalTransition terminal = new TerminalTransition(settings.sql(), settings.channels(),
                settings.notifyLeaseEvents());
        PauseTransition pause = new PauseTransition(settings.sql(), settings.channels(), settings.notifyLeaseEvents());
        this.terminal = terminal;
        this.fences = fences;
        this.executionOps = new PgExecutionOperations(settings);
        this.executions = executionOps;
        RetryTransition retry = new RetryTransition(settings.sql(), settings.channels(), settings.notifyLeaseEvents());
        this.workers = new PgWorkerOperations(settings, metrics, fences, terminal, pause, retry);
        this.operator = new PgOperatorOperations(settings, terminal);
        LeaseExpiryJob expiry = new LeaseExpiryJob(settings, terminal, retry);
        ExecutionRowJob deadline = new ExecutionRowJob("execution_deadline", Duration.ofSeconds(1), 500,
                settings.database(), settings.sql(),
                "e.lifecycle_phase <> 'terminal' AND e.deadline_at_ms <= {s}.now_ms()", "deadline_at_ms",
                (tx, row) -> terminal.apply(tx, row, new TerminalTransition.Terminal(TerminalOutcome.EXPIRED,
                        EndReason.EXECUTION_DEADLINE, LeaseEventType.REVOKED, null, null, null, null,
                        "execution deadline", null, "{\"outcome\":\"execution_deadline\"}")).then());
        this.jobs = List.of(expiry.job(), expiry.attemptTimeoutJob(), deadline, new DelayedPromoterJob(settings, 1000));
    }

    /** The execution jobs of 08 §2: lease expiry, attempt timeout, execution deadline and the delayed promoter. */
    public List<ReconcilerJob> jobs() {
        return jobs;
    }

    /** The fence check, for the other packages whose writes are lease-holder writes (streams). */
    public LeaseFenceCheck fences() {
        return fences;
    }

    /** Procedure T, for the other packages that end executions (flows). */
    public TerminalTransition terminal() {
        return terminal;
    }

    /** Connects {@code createExecution(dependsOn)} to the flows package; set once while the engine is built. */
    public void dependencyStager(DependencyStager stager) {
        executionOps.dependencyStager(stager);
    }

    public ExecutionOperations executions() {
        return executions;
    }

    public WorkerOperations workers() {
        return workers;
    }

    /** Connects the replay of flow members to the flows package; set once while the engine is built. */
    public void memberReplay(MemberReplay replay) {
        operator.memberReplay(replay);
    }

    public OperatorOperations operator() {
        return operator;
    }
}
