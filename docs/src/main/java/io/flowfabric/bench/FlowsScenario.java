package io.flowfabric.bench;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupPolicy.OnSatisfied;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.postgres.PostgresEngine;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code flows} (issue 4): how fast the engine's own completion dispatch moves work through a flow.
 *
 * <ol>
 *   <li><b>Chain hops.</b> Chains of {@code --chain-length} executions, each created with
 *       {@code dependsOn(previous)}. For each hop a claimer is parked in {@code claim(maxWait 30 s)} on the chain's
 *       lane before the upstream is completed; a hop is the time from the upstream's {@code complete} returning to
 *       the parked claim returning the downstream (completion event → dispatcher → edge resolution → ready NOTIFY →
 *       claim).</li>
 *   <li><b>quorum(1) of 100 with cancel_remaining.</b> 100 upstreams into one downstream with
 *       {@code EdgeGroupPolicy.quorum(1, CANCEL_REMAINING)}; one upstream is claimed and completed; measured from that
 *       complete returning until SQL polling (one query after the other, 1 ms apart) sees all 99 siblings
 *       {@code cancelled}. The database-clock view (last sibling's {@code terminal_at_ms} − the winner's) is printed
 *       beside it.</li>
 *   <li><b>Fan-out 1 → N.</b> N downstreams of one upstream (all_of); from the upstream's complete returning until
 *       SQL polling (5 ms apart) counts all N runnable and eligible (claimable); plus the database-clock view (last
 *       downstream's {@code last_mutation_at_ms} − the upstream's {@code terminal_at_ms}).</li>
 * </ol>
 *
 * <p>Every sample uses its own flow and lanes. Polling adds a little load of its own and has the resolution of one
 * poll round trip.
 */
final class FlowsScenario implements BenchScenario {

    private static final String SCHEMA = "ff_bench_flows";
    private static final Duration CLAIM_WAIT = Duration.ofSeconds(30);
    private static final Duration PARK_GRACE = Duration.ofMillis(20);
    private static final Duration SAMPLE_LIMIT = Duration.ofSeconds(60);
    private static final int QUORUM_UPSTREAMS = 100;

    private static final String QUORUM_STATE = "SELECT count(*) FILTER (WHERE public_state = 'cancelled') AS n "
            + "FROM " + SCHEMA + ".ff_exec_core WHERE partition_key = $1 AND flow_id = $2";
    private static final String QUORUM_DB_MS = "SELECT max(terminal_at_ms) FILTER (WHERE public_state = 'cancelled') "
            + "- max(terminal_at_ms) FILTER (WHERE public_state = 'completed') AS ms "
            + "FROM " + SCHEMA + ".ff_exec_core WHERE partition_key = $1 AND flow_id = $2";
    private static final String CLAIMABLE = "SELECT count(*) AS n FROM " + SCHEMA + ".ff_exec_core "
            + "WHERE partition_key = $1 AND flow_id = $2 AND lane_id = $3 AND lifecycle_phase = 'runnable' "
            + "AND eligibility_state = 'eligible_now'";
    private static final String FANOUT_DB_MS = "SELECT max(d.last_mutation_at_ms) - max(u.terminal_at_ms) AS ms "
            + "FROM " + SCHEMA + ".ff_exec_core d, " + SCHEMA + ".ff_exec_core u "
            + "WHERE d.partition_key = $1 AND d.flow_id = $2 AND d.lane_id = $3 "
            + "AND u.partition_key = $1 AND u.execution_id = $4";

    @Override
    public String name() {
        return "flows";
    }

    @Override
    public String summary() {
        return "chain hop latency, quorum(1 of 100) sibling cancel time, fan-out 1->N release time (#4)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("chains", "8", "chains measured (each gives chain-length - 1 hops)"),
                BenchOption.value("chain-length", "10", "executions per chain"),
                BenchOption.value("quorum-samples", "20", "quorum(1 of 100) samples"),
                BenchOption.value("fanout", "1000", "downstreams of the fan-out upstream"),
                BenchOption.value("fanout-samples", "3", "fan-out samples; the RESULT takes their median"),
                BenchOption.flag("reconcilers", "run the engine's background reconcilers (off by default)"),
                BenchOption.optional("url", "r2dbc-url", "use this database instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int chains = options.intAtLeast("chains", 1);
        int chainLength = options.intAtLeast("chain-length", 2);
        int quorumSamples = options.intAtLeast("quorum-samples", 1);
        int fanout = options.intAtLeast("fanout", 1);
        int fanoutSamples = options.intAtLeast("fanout-samples", 1);
        boolean reconcilers = options.flag("reconcilers");

        try (BenchRun run = BenchRun.open(options.value("url").orElse(null), out)) {
            run.header("flows (issue 4)", List.of(
                    String.format(Locale.ROOT, "chains %d x %d executions (%d hops); quorum(1 of %d, "
                                    + "cancel_remaining) x %d; fan-out 1 -> %d x %d", chains, chainLength,
                            chains * (chainLength - 1), QUORUM_UPSTREAMS, quorumSamples, fanout, fanoutSamples),
                    "hop = upstream complete() returned -> parked claim(maxWait 30 s) returned the downstream",
                    "quorum = winner's complete() returned -> SQL poll (1 ms apart) sees 99 siblings cancelled",
                    "fan-out = upstream complete() returned -> SQL poll (5 ms apart) sees all downstreams "
                            + "runnable+eligible_now",
                    "engine: one node, default pool (2..20), background reconcilers "
                            + (reconcilers ? "on" : "off") + " (the completion and sibling-cancel dispatchers "
                            + "run, as always)"));
            PostgresEngine engine = run.engine(SCHEMA, b -> b.backgroundReconcilers(reconcilers));

            // Warm-up: one short chain, one small quorum and fan-out, not counted.
            chain(engine, "warm", 3, new Latencies(2), new AtomicLong());
            quorum(run, engine, "warm", new Latencies(1), new Latencies(1));
            fanout(run, engine, "warm", 10, new Latencies(1), new Latencies(1));

            Latencies hops = new Latencies(chains * (chainLength - 1));
            AtomicLong clampedHops = new AtomicLong();
            for (int c = 0; c < chains; c++) {
                chain(engine, Integer.toString(c), chainLength, hops, clampedHops);
            }
            out.printf(Locale.ROOT, "chain hops     n=%-4d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms%s%n",
                    hops.count(), hops.percentileMillis(0.5), hops.percentileMillis(0.99),
                    hops.percentileMillis(1.0), clampedHops.get() == 0 ? ""
                            : "  (" + clampedHops.get() + " claims returned before complete(): counted as 0)");

            Latencies quorum = new Latencies(quorumSamples);
            Latencies quorumDb = new Latencies(quorumSamples);
            for (int k = 0; k < quorumSamples; k++) {
                quorum(run, engine, Integer.toString(k), quorum, quorumDb);
            }
            out.printf(Locale.ROOT, "quorum 1/%d    n=%-4d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms   db clock: "
                            + "p50 %.0f ms, p99 %.0f ms%n", QUORUM_UPSTREAMS, quorum.count(),
                    quorum.percentileMillis(0.5), quorum.percentileMillis(0.99), quorum.percentileMillis(1.0),
                    quorumDb.percentileMillis(0.5), quorumDb.percentileMillis(0.99));

            Latencies fan = new Latencies(fanoutSamples);
            Latencies fanDb = new Latencies(fanoutSamples);
            for (int k = 0; k < fanoutSamples; k++) {
                fanout(run, engine, Integer.toString(k), fanout, fan, fanDb);
            }
            out.printf(Locale.ROOT, "fan-out 1->%-4d n=%-3d median %7.1f ms  max %7.1f ms  (%.0f downstreams/s)   "
                            + "db clock: median %.0f ms%n", fanout, fan.count(), fan.percentileMillis(0.5),
                    fan.percentileMillis(1.0), fanout / (fan.percentileMillis(0.5) / 1000),
                    fanDb.percentileMillis(0.5));
            out.println();
            run.footer();
            out.printf(Locale.ROOT, "RESULT scenario=flows hop_p50_ms=%.2f hop_p99_ms=%.2f quorum100_p50_ms=%.2f "
                            + "quorum100_p99_ms=%.2f fanout%d_ms=%.1f%n", hops.percentileMillis(0.5),
                    hops.percentileMillis(0.99), quorum.percentileMillis(0.5), quorum.percentileMillis(0.99),
                    fanout, fan.percentileMillis(0.5));
        }
    }

    private static ClaimRequest claimRequest(String lane, Duration maxWait) {
        return ClaimRequest.builder("bench-flows", "bench-flows-" + lane).lane(lane)
                .leaseTtl(Duration.ofSeconds(60)).maxWait(maxWait).build();
    }

    private static FlowId newFlow(PostgresEngine engine, String kind) {
        return Objects.requireNonNull(engine.flows().createFlow(CreateFlow.of("default", kind))
                .block(Duration.ofSeconds(30))).flowId();
    }

    /** One chain: every hop is one sample. */
    private static void chain(PostgresEngine engine, String name, int length, Latencies hops, AtomicLong clamped) {
        FlowId flow = newFlow(engine, "bench-chain");
        String lane = "chain-" + name;
        List<ExecutionId> ids = new ArrayList<>(length);
        for (int k = 0; k < length; k++) {
            CreateExecution.Builder b = CreateExecution.builder(lane).flowId(flow);
            if (k > 0) {
                b.dependsOn(ids.get(k - 1));
            }
            ids.add(EngineSetup.createAll(engine, 1, i -> b.build()).get(0));
        }
        ClaimedExecution current = engine.workers().claim(claimRequest(lane, Duration.ZERO))
                .blockOptional(Duration.ofSeconds(30))
                .orElseThrow(() -> new BenchFailure("check=chain_head_claimable lane=" + lane));
        expect(current, ids.get(0), "chain head");
        for (int k = 1; k < length; k++) {
            AtomicLong claimedAt = new AtomicLong();
            CompletableFuture<ClaimedExecution> parked = engine.workers().claim(claimRequest(lane, CLAIM_WAIT))
                    .doOnNext(c -> claimedAt.set(System.nanoTime()))
                    .toFuture();
            BenchRun.sleep(PARK_GRACE);
            AtomicLong completedAt = new AtomicLong();
            engine.workers().complete(current.fence(), null, null)
                    .doOnSuccess(c -> completedAt.set(System.nanoTime()))
                    .block(Duration.ofSeconds(30));
            ClaimedExecution next = await(parked, "chain hop " + k + " lane " + lane);
            expect(next, ids.get(k), "chain hop " + k);
            long hop = claimedAt.get() - completedAt.get();
            if (hop < 0) {
                clamped.incrementAndGet();
            }
            hops.record(Math.max(0, hop));
            current = next;
        }
        engine.workers().complete(current.fence(), null, null).block(Duration.ofSeconds(30));
    }

    /** One quorum sample: the winner's complete until all 99 siblings are cancelled. */
    private static void quorum(BenchRun run, PostgresEngine engine, String name, Latencies wall, Latencies db) {
        FlowId flow = newFlow(engine, "bench-quorum");
        String lane = "quorum-" + name;
        CreateExecution upstream = CreateExecution.builder(lane).flowId(flow).build();
        List<ExecutionId> ups = EngineSetup.createAll(engine, QUORUM_UPSTREAMS, i -> upstream);
        CreateExecution.Builder down = CreateExecution.builder("quorum-down-" + name).flowId(flow)
                .dependsOnPolicy(EdgeGroupPolicy.quorum(1, OnSatisfied.CANCEL_REMAINING));
        ups.forEach(down::dependsOn);
        EngineSetup.createAll(engine, 1, i -> down.build());
        ClaimedExecution winner = engine.workers().claim(claimRequest(lane, Duration.ZERO))
                .blockOptional(Duration.ofSeconds(30))
                .orElseThrow(() -> new BenchFailure("check=quorum_upstream_claimable lane=" + lane));
        AtomicLong completedAt = new AtomicLong();
        engine.workers().complete(winner.fence(), null, null)
                .doOnSuccess(c -> completedAt.set(System.nanoTime()))
                .block(Duration.ofSeconds(30));
        long seenAt = pollUntil(run, QUORUM_STATE, QUORUM_UPSTREAMS - 1, Duration.ofMillis(1), flow.partition(),
                flow.uuid());
        if (seenAt < 0) {
            throw new BenchFailure("check=quorum_siblings_cancelled flow=" + flow + " cancelled="
                    + run.queryLong(QUORUM_STATE, flow.partition(), flow.uuid()) + " within=" + SAMPLE_LIMIT);
        }
        wall.record(Math.max(0, seenAt - completedAt.get()));
        db.record(run.queryLong(QUORUM_DB_MS, flow.partition(), flow.uuid()) * 1_000_000);
    }

    /** One fan-out sample: the upstream's complete until all downstreams are claimable. */
    private static void fanout(BenchRun run, PostgresEngine engine, String name, int n, Latencies wall,
                               Latencies db) {
        FlowId flow = newFlow(engine, "bench-fanout");
        String upLane = "fan-up-" + name;
        String downLane = "fan-down-" + name;
        ExecutionId up = EngineSetup.createAll(engine, 1,
                i -> CreateExecution.builder(upLane).flowId(flow).build()).get(0);
        CreateExecution down = CreateExecution.builder(downLane).flowId(flow).dependsOn(up).build();
        EngineSetup.createAll(engine, n, i -> down);
        ClaimedExecution claimed = engine.workers().claim(claimRequest(upLane, Duration.ZERO))
                .blockOptional(Duration.ofSeconds(30))
                .orElseThrow(() -> new BenchFailure("check=fanout_upstream_claimable lane=" + upLane));
        AtomicLong completedAt = new AtomicLong();
        engine.workers().complete(claimed.fence(), null, null)
                .doOnSuccess(c -> completedAt.set(System.nanoTime()))
                .block(Duration.ofSeconds(30));
        long seenAt = pollUntil(run, CLAIMABLE, n, Duration.ofMillis(5), flow.partition(), flow.uuid(), downLane);
        if (seenAt < 0) {
            throw new BenchFailure("check=fanout_released flow=" + flow + " claimable="
                    + run.queryLong(CLAIMABLE, flow.partition(), flow.uuid(), downLane) + " expected=" + n
                    + " within=" + SAMPLE_LIMIT);
        }
        wall.record(Math.max(0, seenAt - completedAt.get()));
        db.record(run.queryLong(FANOUT_DB_MS, flow.partition(), flow.uuid(), downLane, up.uuid()) * 1_000_000);
    }

    /**
     * Runs {@code sql} (one count) until it reaches {@code target}, {@code pause} apart; returns the local time the
     * successful query was sent (its snapshot is later, so the condition held by then at the latest), or -1 after
     * {@link #SAMPLE_LIMIT}.
     */
    private static long pollUntil(BenchRun run, String sql, long target, Duration pause, Object... params) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < SAMPLE_LIMIT.toNanos()) {
            long sent = System.nanoTime();
            if (run.queryLong(sql, params) >= target) {
                return sent;
            }
            BenchRun.sleep(pause);
        }
        return -1;
    }

    private static void expect(ClaimedExecution claimed, ExecutionId expected, String what) {
        if (!claimed.executionId().equals(expected)) {
            throw new BenchFailure("check=" + what.replace(' ', '_') + " expected=" + expected + " claimed="
                    + claimed.executionId());
        }
    }

    private static ClaimedExecution await(CompletableFuture<ClaimedExecution> future, String what) {
        try {
            ClaimedExecution claimed = future.get(CLAIM_WAIT.toSeconds() + 10, TimeUnit.SECONDS);
            if (claimed == null) {
                throw new BenchFailure("check=claimable what=" + what.replace(' ', '_') + " waited="
                        + CLAIM_WAIT);
            }
            return claimed;
        } catch (ExecutionException e) {
            throw new BenchFailure("check=claim what=" + what.replace(' ', '_') + " error=" + e.getCause());
        } catch (TimeoutException e) {
            throw new BenchFailure("check=claim what=" + what.replace(' ', '_') + " error=timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
