package io.flowfabric.postgres.flows;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.executions.ExecRow;
import io.flowfabric.postgres.executions.MemberReplay;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.util.Optional;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The replay of a flow member (spec 03 §11): the locks in the engine's order and the reset of the member's edge
 * group. Resolution and the decision reuse {@link EdgeResolver}, so a replayed downstream is released, skipped or
 * left waiting exactly as a dispatched completion would.
 */
final class GroupReplay implements MemberReplay {

    private static final String SHARE_FLOW = """
            SELECT public_flow_state FROM {s}.ff_flow_core WHERE partition_key = $1 AND flow_id = $2 FOR SHARE""";

    /** The upstreams of one downstream's group on one side of it in key order ($4: below), share-locked in order. */
    private static final String SHARE_UPSTREAMS = """
            SELECT x.execution_id FROM {s}.ff_exec_core x
            WHERE x.partition_key = $1
              AND x.execution_id IN (SELECT e.upstream_id FROM {s}.ff_edge e
                                     WHERE e.partition_key = $1 AND e.flow_id = $2 AND e.downstream_id = $3)
              AND CASE WHEN $4 THEN x.execution_id < $3 ELSE x.execution_id > $3 END
            ORDER BY x.execution_id
            FOR SHARE""";

    /** Step 2, first half: every resolution that is not a success goes back to applied. */
    private static final String CLEAR_RESOLUTIONS = """
            UPDATE {s}.ff_edge SET edge_state = 'applied', resolution = NULL, resolved_by_event_id = NULL,
                   resolved_at_ms = NULL
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3 AND edge_state = 'resolved'
              AND resolution <> 'success'""";

    /** Step 1: this group's queued sibling cancels. */
    private static final String DELETE_SIBLING_CANCELS = """
            DELETE FROM {s}.ff_sibling_cancel WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3""";

    /** Step 1 and the second half of step 2: the latch cleared and the counters recomputed from the edges. */
    private static final String RESET_GROUP = "UPDATE {s}.ff_edge_group g SET group_state = 'pending', "
            + "decided_at_ms = NULL, decided_by_event_id = NULL, cancel_siblings_pending = false, "
            + "success_count = c.s, failed_count = c.f, skipped_count = c.k "
            + "FROM (SELECT count(*) FILTER (WHERE e.resolution = 'success') AS s, "
            + "count(*) FILTER (WHERE e.resolution = 'failed') AS f, "
            + "count(*) FILTER (WHERE e.resolution = 'skipped') AS k "
            + "FROM {s}.ff_edge e WHERE e.partition_key = $1 AND e.flow_id = $2 AND e.downstream_id = $3) c "
            + "WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3 RETURNING " + GroupRow.COLUMNS;

    /** Step 3: applied, unresolved edges whose upstream is terminal now, with the upstream's outcome. */
    private static final String TERMINAL_UPSTREAMS = """
            SELECT e.edge_id, e.upstream_id, x.terminal_outcome
            FROM {s}.ff_edge e
            JOIN {s}.ff_exec_core x ON x.partition_key = e.partition_key AND x.execution_id = e.upstream_id
            WHERE e.partition_key = $1 AND e.flow_id = $2 AND e.downstream_id = $3 AND e.edge_state = 'applied'
              AND x.lifecycle_phase = 'terminal'
            ORDER BY e.edge_id""";

    private final EdgeResolver resolver;
    private final String shareFlow;
    private final String lockGroup;
    private final String shareUpstreams;
    private final String clearResolutions;
    private final String deleteSiblingCancels;
    private final String resetGroup;
    private final String terminalUpstreams;

    GroupReplay(SqlTemplate sql, EdgeResolver resolver) {
        this.resolver = resolver;
        this.shareFlow = sql.render(SHARE_FLOW);
        this.lockGroup = sql.render(EdgeResolver.LOCK_GROUP);
        this.shareUpstreams = sql.render(SHARE_UPSTREAMS);
        this.clearResolutions = sql.render(CLEAR_RESOLUTIONS);
        this.deleteSiblingCancels = sql.render(DELETE_SIBLING_CANCELS);
        this.resetGroup = sql.render(RESET_GROUP);
        this.terminalUpstreams = sql.render(TERMINAL_UPSTREAMS);
    }

    @Override
    public Mono<Locked> lock(Tx tx, ExecutionId id, UUID flowId, Mono<ExecRow> lockExecution) {
        int pk = id.partition();
        return tx.queryOne(shareFlow, r -> "cancelled".equals(r.get("public_flow_state", String.class)), pk, flowId)
                .defaultIfEmpty(false)
                .flatMap(cancelled -> tx.queryOne(lockGroup, GroupRow::read, pk, flowId, id.uuid())
                        .map(Optional::of).defaultIfEmpty(Optional.empty())
                        .flatMap(group -> {
                            // An unsealed group has no applied edge, hence nothing resolved to reset: the member
                            // replays like a standalone execution and a later apply blocks it as usual.
                            boolean grouped = group.isPresent() && group.get().sealed();
                            if (!grouped) {
                                return lockExecution.map(row -> new Locked(row, cancelled, false));
                            }
                            return tx.query(shareUpstreams, r -> 1, pk, flowId, id.uuid(), true).then()
                                    .then(lockExecution)
                                    .flatMap(row -> tx.query(shareUpstreams, r -> 1, pk, flowId, id.uuid(), false)
                                            .then(Mono.just(new Locked(row, cancelled, true))));
                        }));
    }

    @Override
    public Mono<Void> resetGroup(Tx tx, ExecutionId id, UUID flowId) {
        int pk = id.partition();
        UUID downstream = id.uuid();
        return tx.update(clearResolutions, pk, flowId, downstream)
                .then(tx.update(deleteSiblingCancels, pk, flowId, downstream))
                .then(tx.queryOne(resetGroup, GroupRow::read, pk, flowId, downstream))
                .thenMany(tx.query(terminalUpstreams, r -> new Object[] {r.get("edge_id", UUID.class),
                        r.get("upstream_id", UUID.class), r.get("terminal_outcome", String.class)}, pk, flowId,
                        downstream))
                .concatMap(edge -> resolver.latestCompletionEvent(tx, pk, (UUID) edge[1])
                        .map(Optional::of).defaultIfEmpty(Optional.empty())
                        .flatMap(event -> resolver.resolve(tx, pk, flowId, (UUID) edge[0],
                                EdgeResolver.resolutionOf(TerminalOutcome.fromLiteral((String) edge[2])),
                                event.orElse(null))))
                .then(Mono.defer(() -> tx.queryOne(lockGroup, GroupRow::read, pk, flowId, downstream)))
                // With nothing left to resolve the kept successes alone may decide (step 4).
                .flatMap(group -> resolver.decide(tx, group, null))
                .then();
    }
}
