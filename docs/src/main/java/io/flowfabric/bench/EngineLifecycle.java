package io.flowfabric.bench;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.postgres.PostgresEngine;
import io.r2dbc.spi.ConnectionFactory;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The engine side of the lifecycle scenario: a fresh engine in its own schema creates {@code n} executions, then
 * workers claim them in batches and complete each one (no-op work) until a claim finds nothing; the outcome is
 * checked with SQL. Blocks on the calling (main) thread only.
 */
final class EngineLifecycle {

    static final String LANE = "bench";

    private static final Duration LEASE_TTL = Duration.ofSeconds(30);

    private final ConnectionFactory admin;
    private final String r2dbcUrl;
    private final PrintStream out;

    /**
     * @param admin    a connection factory for DDL and checks (not measured)
     * @param r2dbcUrl the database
     * @param out      where cleanup warnings go
     */
    EngineLifecycle(ConnectionFactory admin, String r2dbcUrl, PrintStream out) {
        this.admin = admin;
        this.r2dbcUrl = r2dbcUrl;
        this.out = out;
    }

    /**
     * Runs one round in {@code schema} (dropped first if a previous run left it, and dropped afterwards). The engine
     * gets a pool of {@code workers} initial and {@code workers + 4} maximum connections and no background
     * reconcilers. Blocks.
     *
     * @throws BenchFailure when the executions were not all completed exactly once
     */
    LifecycleRun run(String schema, int partitions, int n, int workers, int batch, int createConcurrency,
                     byte[] input) {
        dropSchema(schema);
        PostgresEngine engine = PostgresEngine.builder()
                .url(r2dbcUrl)
                .schema(schema)
                .physicalPartitions(partitions)
                .poolSize(workers, workers + 4)
                .backgroundReconcilers(false)
                .applicationName(applicationName(schema))
                .build();
        try {
            engine.start().block();
            CpuMeter cpu = new CpuMeter(admin, applicationName(schema));

            CreateExecution request = CreateExecution.builder(LANE).input(input, "binary").build();
            CpuMeter.Sample createCpu = cpu.start();
            long createStart = System.nanoTime();
            Long created = Flux.range(0, n)
                    .flatMap(i -> engine.executions().createExecution(request), createConcurrency)
                    .filter(CreateResult::created)
                    .count()
                    .block();
            long createNanos = System.nanoTime() - createStart;
            CpuMeter.Use createUse = createCpu.since();
            if (created == null || created != n) {
                throw new BenchFailure("system=engine P=" + partitions + " check=created expected=" + n
                        + " actual=" + created);
            }

            Latencies latencies = new Latencies(n);
            Latencies claims = new Latencies(n);
            AtomicLong processed = new AtomicLong();
            CpuMeter.Sample processCpu = cpu.start();
            long processStart = System.nanoTime();
            Flux.range(0, workers)
                    .flatMap(w -> worker(engine, w, batch, latencies, claims, processed), workers)
                    .then()
                    .block();
            long processNanos = System.nanoTime() - processStart;
            CpuMeter.Use processUse = processCpu.since();

            verify(schema, partitions, n, processed.get());
            return new LifecycleRun("engine", partitions, n, createNanos, processNanos,
                    latencies.percentileMillis(0.50), latencies.percentileMillis(0.99),
                    claims.percentileMillis(0.50), claims.percentileMillis(0.99), createUse, processUse);
        } finally {
            engine.stop(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
            dropSchema(schema);
        }
    }

    /**
     * One worker: claim up to {@code batch} executions, complete them one after the other, repeat until a claim
     * returns nothing. The latency of an execution runs from the moment {@code claimBatch} emitted it to the moment
     * its {@code complete} returned, so later members of a batch include the completes before them.
     */
    private static Mono<Void> worker(FlowFabric engine, int index, int batch, Latencies latencies,
                                     Latencies claims, AtomicLong processed) {
        ClaimRequest request = ClaimRequest.builder("bench-worker", "bench-worker-" + index)
                .lane(LANE)
                .leaseTtl(LEASE_TTL)
                .maxWait(Duration.ZERO)
                .batchSize(batch)
                .build();
        Mono<Boolean> cycle = Mono.defer(() -> {
            long claimStart = System.nanoTime();
            return engine.workers().claimBatch(request, batch)
                    .map(claimed -> new Claimed(claimed, System.nanoTime()))
                    .collectList()
                    .flatMap(claimed -> {
                        if (claimed.isEmpty()) {
                            return Mono.just(false);
                        }
                        claims.record(claimed.get(0).claimedAtNanos() - claimStart);
                        return Flux.fromIterable(claimed)
                                .concatMap(c -> engine.workers().complete(c.execution().fence(), null, null)
                                        .doOnNext(completed -> {
                                            latencies.record(System.nanoTime() - c.claimedAtNanos());
                                            processed.incrementAndGet();
                                        }))
                                .then(Mono.just(true));
                    });
        });
        // Repeat (not recurse) so a long run does not nest one operator per batch.
        return cycle.repeat().takeUntil(more -> !more).then();
    }

    /** The engine's {@code application_name}; its listener connection gets {@code -listener} appended. */
    private static String applicationName(String schema) {
        return "flowfabric-bench-" + schema;
    }

    private record Claimed(ClaimedExecution execution, long claimedAtNanos) {
    }

    private void verify(String schema, int partitions, int n, long processed) {
        // The schema name is generated by the scenario from [a-z0-9_] and cannot be bound.
        long events = count("SELECT count(*) FROM " + schema + ".ff_completion_event");
        long completed = count("SELECT count(*) FROM " + schema + ".ff_exec_core WHERE public_state = 'completed'");
        long total = count("SELECT count(*) FROM " + schema + ".ff_exec_core");
        if (processed != n || events != n || completed != n || total != n) {
            throw new BenchFailure("system=engine P=" + partitions + " check=all_completed expected=" + n
                    + " processed=" + processed + " completion_events=" + events + " completed=" + completed
                    + " executions=" + total);
        }
    }

    private long count(String sql) {
        return BenchSql.queryOne(admin, sql, row -> row.get(0, Long.class)).blockOptional().orElseThrow();
    }

    private void dropSchema(String schema) {
        try {
            BenchSql.update(admin, "DROP SCHEMA IF EXISTS " + schema + " CASCADE").block();
        } catch (RuntimeException e) {
            // Many partitions can need more locks than an external server allows in one transaction; the numbers
            // are unaffected, so say so and go on.
            out.println("  warning: could not drop schema " + schema + " (" + e.getMessage() + "); drop it by hand");
        }
    }
}
