package io.flowfabric.postgres.flows;

import io.flowfabric.core.spi.FlowOperations;
import io.flowfabric.postgres.executions.DependencyStager;
import io.flowfabric.postgres.executions.MemberReplay;
import io.flowfabric.postgres.executions.TerminalTransition;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import java.util.List;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * Builds the flow machinery of one engine: the operations, the dispatchers and their reconciler jobs. Internal: the
 * engine is the only caller.
 */
public final class FlowFamilies {

    private final PgFlowOperations operations;
    private final CompletionDispatcher dispatcher;
    private final SiblingCancels siblings;
    private final FlowCancellation cancellation;
    private final GroupReplay replay;

    /**
     * @param staleThreshold the dependency job only takes events older than this (default 1 s)
     * @param cancelGrace    how long a flow-cancel backlog may sit before another node finishes it (default 30 s)
     * @param crashBeforeHop test hook for crash injection in the dispatcher (never true in production)
     */
    public FlowFamilies(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                        TerminalTransition terminal, Duration staleThreshold, Duration cancelGrace,
                        IntPredicate crashBeforeHop) {
        EdgeResolver resolver = new EdgeResolver(sql, channels, terminal);
        EdgeStaging staging = new EdgeStaging(sql, resolver);
        this.cancellation = new FlowCancellation(db, sql, channels, terminal, cancelGrace);
        this.operations = new PgFlowOperations(db, sql, staging, cancellation);
        this.dispatcher = new CompletionDispatcher(db, sql, channels, hub, resolver, staleThreshold, crashBeforeHop);
        this.siblings = new SiblingCancels(db, sql, channels, hub, terminal);
        this.replay = new GroupReplay(sql, resolver);
    }

    public FlowOperations flows() {
        return operations;
    }

    /** What {@code createExecution(dependsOn)} calls inside its transaction. */
    public DependencyStager dependencyStager() {
        return operations::stageAndApplyAll;
    }

    /** What {@code replayExecution} calls for a flow member (spec 03 §11), inside its transaction. */
    public MemberReplay memberReplay() {
        return replay;
    }

    /** The flow jobs of spec 08 §2: dependency, sibling_cancel_dispatcher, sibling_cancel_reconciler, cancel_backlog. */
    public List<ReconcilerJob> jobs() {
        return List.of(dispatcher, siblings.dispatcherJob(), siblings.reconcilerJob(), cancellation);
    }

    /** Starts the immediate dispatch paths (local commits and NOTIFYs). */
    public void start() {
        dispatcher.start();
        siblings.start();
    }

    public void stop() {
        dispatcher.stop();
        siblings.stop();
    }
}
