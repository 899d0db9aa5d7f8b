package io.flowfabric.postgres.flows;

import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.executions.ExecRow;
import io.flowfabric.postgres.executions.TerminalTransition;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Resolution of one edge and its consequences (spec 03 §7 hop steps 1–7), in the caller's transaction: lock the
 * group, record the edge's resolution once, count it, copy data for data-passing edges, evaluate the decision of a
 * sealed pending group and, only on the transition, latch it, apply the downstream effect and enqueue sibling
 * cancels. Re-running a hop on a resolved edge changes nothing, so an event dispatched twice counts once.
 */
final class EdgeResolver {

    static final String LOCK_GROUP = "SELECT " + GroupRow.COLUMNS + """

            FROM {s}.ff_edge_group g
            WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3
            FOR UPDATE""";

    private static final String EDGE_ENDPOINTS = """
            SELECT upstream_id, downstream_id FROM {s}.ff_edge
            WHERE partition_key = $1 AND flow_id = $2 AND edge_id = $3""";

    private static final String RESOLVE_EDGE = """
            UPDATE {s}.ff_edge SET edge_state = 'resolved', resolution = $4, resolved_by_event_id = $5,
                   resolved_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND flow_id = $2 AND edge_id = $3 AND edge_state = 'applied'
            RETURNING data_passing_ref""";

    private static final String COUNT = "UPDATE {s}.ff_edge_group g SET "
            + "success_count = g.success_count + CASE WHEN $4 = 'success' THEN 1 ELSE 0 END, "
            + "failed_count = g.failed_count + CASE WHEN $4 = 'failed' THEN 1 ELSE 0 END, "
            + "skipped_count = g.skipped_count + CASE WHEN $4 = 'skipped' THEN 1 ELSE 0 END "
            + "WHERE g.partition_key = $1 AND g.flow_id = $2 AND g.downstream_id = $3 RETURNING " + GroupRow.COLUMNS;

    private static final String COPY_INPUT = """
            INSERT INTO {s}.ff_dependency_input (partition_key, downstream_id, ref, upstream_id, payload, encoding,
                copied_at_ms)
            SELECT $1, $2, $3, $4, coalesce(u.result_payload, ''::bytea), u.result_encoding, {s}.now_ms()
            FROM {s}.ff_exec_core u, {s}.ff_exec_core d
            WHERE u.partition_key = $1 AND u.execution_id = $4 AND d.partition_key = $1 AND d.execution_id = $2
              AND d.lifecycle_phase = 'runnable'
              AND d.attempt_state IN ('pending_first_attempt', 'pending_replay_attempt')
            ON CONFLICT (partition_key, downstream_id, ref) DO UPDATE
              SET upstream_id = EXCLUDED.upstream_id, payload = EXCLUDED.payload, encoding = EXCLUDED.encoding,
                  copied_at_ms = EXCLUDED.copied_at_ms""";

    private static final String REPLACE_INPUT = """
            UPDATE {s}.ff_exec_core d SET input_payload = coalesce(u.result_payload, ''::bytea),
                   input_encoding = coalesce(u.result_encoding, 'binary'), last_mutation_at_ms = {s}.now_ms()
            FROM {s}.ff_exec_core u
            WHERE u.partition_key = $1 AND u.execution_id = $3 AND d.partition_key = $1 AND d.execution_id = $2
              AND d.lifecycle_phase = 'runnable'
              AND d.attempt_state IN ('pending_first_attempt', 'pending_replay_attempt')""";

    private static final String LATCH = """
            UPDATE {s}.ff_edge_group SET group_state = $4, decided_at_ms = {s}.now_ms(), decided_by_event_id = $5
            WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3 AND group_state = 'pending'""";

    private static final String RELEASE_NOT_STARTED = """
            UPDATE {s}.ff_exec_core SET
              eligibility_state = CASE WHEN delay_until_ms > {s}.now_ms() THEN 'not_eligible_until_time'
                                       ELSE 'eligible_now' END,
              blocking_reason = CASE WHEN delay_until_ms > {s}.now_ms() THEN 'waiting_for_delay'
                                     ELSE 'waiting_for_worker' END,
              delay_until_ms = CASE WHEN delay_until_ms > {s}.now_ms() THEN delay_until_ms END,
              last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND execution_id = $2
            RETURNING eligibility_state""";

    private static final String RESUME_PAUSED = """
            UPDATE {s}.ff_exec_core SET eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker',
                   delay_until_ms = NULL, last_mutation_at_ms = {s}.now_ms()
            WHERE partition_key = $1 AND execution_id = $2""";

    private static final String ENQUEUE_SIBLINGS = """
            WITH q AS (
              INSERT INTO {s}.ff_sibling_cancel (partition_key, flow_id, downstream_id, target_id, reason,
                  enqueued_at_ms)
              SELECT e.partition_key, e.flow_id, e.downstream_id, e.upstream_id, $4, {s}.now_ms()
              FROM {s}.ff_edge e
              JOIN {s}.ff_exec_core x ON x.partition_key = e.partition_key AND x.execution_id = e.upstream_id
              WHERE e.partition_key = $1 AND e.flow_id = $2 AND e.downstream_id = $3 AND e.resolution IS NULL
                AND x.lifecycle_phase <> 'terminal'
                AND NOT EXISTS (
                  SELECT 1 FROM {s}.ff_edge o
                  JOIN {s}.ff_edge_group og ON og.partition_key = o.partition_key AND og.flow_id = o.flow_id
                       AND og.downstream_id = o.downstream_id
                  WHERE o.partition_key = e.partition_key AND o.flow_id = e.flow_id AND o.upstream_id = e.upstream_id
                    AND o.downstream_id <> e.downstream_id AND og.group_state = 'pending')
              ON CONFLICT DO NOTHING
              RETURNING 1
            ), f AS (
              UPDATE {s}.ff_edge_group SET cancel_siblings_pending = true
              WHERE partition_key = $1 AND flow_id = $2 AND downstream_id = $3 AND (SELECT count(*) FROM q) > 0
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM q) AS enqueued""";

    private static final String LATEST_EVENT = """
            SELECT event_id FROM {s}.ff_completion_event
            WHERE partition_key = $1 AND execution_id = $2 ORDER BY event_id DESC LIMIT 1""";

    private final TerminalTransition terminal;
    private final Channels channels;
    private final String lockGroup;
    private final String edgeEndpoints;
    private final String resolveEdge;
    private final String count;
    private final String copyInput;
    private final String replaceInput;
    private final String latch;
    private final String releaseNotStarted;
    private final String resumePaused;
    private final String enqueueSiblings;
    private final String lockExecution;
    private final String latestEvent;

    EdgeResolver(SqlTemplate sql, Channels channels, TerminalTransition terminal) {
        this.terminal = terminal;
        this.channels = channels;
        this.lockGroup = sql.render(LOCK_GROUP);
        this.edgeEndpoints = sql.render(EDGE_ENDPOINTS);
        this.resolveEdge = sql.render(RESOLVE_EDGE);
        this.count = sql.render(COUNT);
        this.copyInput = sql.render(COPY_INPUT);
        this.replaceInput = sql.render(REPLACE_INPUT);
        this.latch = sql.render(LATCH);
        this.releaseNotStarted = sql.render(RELEASE_NOT_STARTED);
        this.resumePaused = sql.render(RESUME_PAUSED);
        this.enqueueSiblings = sql.render(ENQUEUE_SIBLINGS);
        this.lockExecution = sql.render(ExecRow.LOCK);
        this.latestEvent = sql.render(LATEST_EVENT);
    }

    /** The edge resolution for an upstream outcome: success, skipped, or failed (failed, cancelled, expired). */
    static String resolutionOf(TerminalOutcome outcome) {
        return switch (outcome) {
            case SUCCESS -> "success";
            case SKIPPED -> "skipped";
            default -> "failed";
        };
    }

    /** The latest completion event of an execution (the one that made it terminal), if it is still kept. */
    Mono<Long> latestCompletionEvent(Tx tx, int partition, UUID executionId) {
        return tx.queryOne(latestEvent, r -> r.get("event_id", Long.class), partition, executionId);
    }

    /**
     * One hop: resolves edge {@code edgeId} of the flow with {@code resolution} and applies what follows. Emits the
     * group after the hop (or the unchanged group when the edge was already resolved or not applied).
     */
    Mono<GroupRow> resolve(Tx tx, int partition, UUID flowId, UUID edgeId, String resolution,
                           @Nullable Long eventId) {
        return tx.queryOne(edgeEndpoints, r -> new UUID[] {r.get("upstream_id", UUID.class),
                        r.get("downstream_id", UUID.class)}, partition, flowId, edgeId)
                .flatMap(ends -> tx.queryOne(lockGroup, GroupRow::read, partition, flowId, ends[1])
                        .flatMap(group -> tx.query(resolveEdge, r -> java.util.Optional.ofNullable(
                                                r.get("data_passing_ref", String.class)),
                                        partition, flowId, edgeId, resolution, Bind.nullable(eventId, Long.class))
                                .next()
                                .flatMap(ref -> tx.queryOne(count, GroupRow::read, partition, flowId, ends[1], resolution)
                                        .flatMap(counted -> copyData(tx, counted, ends[0], ref.orElse(null), resolution)
                                                .then(decide(tx, counted, eventId))))
                                .defaultIfEmpty(group)));
    }

    private Mono<Void> copyData(Tx tx, GroupRow group, UUID upstream, @Nullable String ref, String resolution) {
        if (ref == null || !"success".equals(resolution)) {
            return Mono.empty();
        }
        if ("$input".equals(ref)) {
            return tx.update(replaceInput, group.partition(), group.downstreamId(), upstream).then();
        }
        return tx.update(copyInput, group.partition(), group.downstreamId(), ref, upstream).then();
    }

    /** Evaluates a sealed pending group and, on a transition, latches and applies the effect. */
    Mono<GroupRow> decide(Tx tx, GroupRow group, @Nullable Long eventId) {
        if (!group.sealed() || group.state() != GroupDecision.PENDING) {
            return Mono.just(group);
        }
        GroupDecision decision = group.evaluate();
        if (decision == GroupDecision.PENDING) {
            return Mono.just(group);
        }
        GroupRow latched = new GroupRow(group.partition(), group.flowId(), group.downstreamId(), group.policy(),
                group.staged(), group.success(), group.failed(), group.skipped(), true, decision,
                group.cancelSiblingsPending());
        return tx.update(latch, group.partition(), group.flowId(), group.downstreamId(), decision.literal(),
                        Bind.nullable(eventId, Long.class))
                .then(applyEffect(tx, latched))
                .then(cancelSiblings(tx, latched))
                .thenReturn(latched);
    }

    private Mono<Void> applyEffect(Tx tx, GroupRow group) {
        return tx.queryOne(lockExecution, ExecRow::read, group.partition(), group.downstreamId())
                .flatMap(down -> {
                    boolean blocked = "blocked_by_dependencies".equals(down.eligibility());
                    if (!blocked || down.lifecycle() != io.flowfabric.core.state.LifecyclePhase.RUNNABLE) {
                        return Mono.empty();
                    }
                    if ("attempt_interrupted".equals(down.attemptState())) {
                        // A parent in waitChildren: either decision makes it resumable.
                        tx.notifyOnCommit(channels.ready(down.lane()));
                        return tx.update(resumePaused, group.partition(), group.downstreamId()).then();
                    }
                    if (!down.notStarted()) {
                        return Mono.empty();
                    }
                    if (group.state() == GroupDecision.SATISFIED) {
                        return tx.queryOne(releaseNotStarted, r -> r.get("eligibility_state", String.class),
                                        group.partition(), group.downstreamId())
                                .doOnNext(eligibility -> {
                                    if ("eligible_now".equals(eligibility)) {
                                        tx.notifyOnCommit(channels.ready(down.lane()));
                                    }
                                })
                                .then();
                    }
                    // Impossible: skip it; its own completion event carries the skip onwards.
                    return terminal.apply(tx, down, TerminalTransition.Terminal.skipped()).then();
                });
    }

    private Mono<Void> cancelSiblings(Tx tx, GroupRow group) {
        if (group.policy() instanceof EdgeGroupPolicy.AllOf
                || group.policy().onSatisfied() != EdgeGroupPolicy.OnSatisfied.CANCEL_REMAINING) {
            return Mono.empty();
        }
        String reason = group.state() == GroupDecision.SATISFIED ? "sibling_quorum_satisfied"
                : "sibling_quorum_impossible";
        return tx.queryOne(enqueueSiblings, r -> r.get("enqueued", Long.class), group.partition(), group.flowId(),
                        group.downstreamId(), reason)
                .doOnNext(n -> {
                    if (n > 0) {
                        tx.notifyOnCommit(channels.siblingCancel());
                    }
                })
                .then();
    }
}
