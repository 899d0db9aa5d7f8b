package io.flowfabric.bench;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The raw-SQL baseline of the lifecycle scenario: the minimal queue on one plain table, through the same driver and a
 * pool of the same size as the engine. Per item: one auto-committed INSERT; one auto-committed
 * {@code UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id} claim; one auto-committed
 * UPDATE marking it done. Every statement acquires and releases a pooled connection, as every engine operation does.
 *
 * <p>The table lives in its own schema, {@value #SCHEMA}, created by {@link #install()} and dropped by
 * {@link #uninstall()}. Autovacuum is off for it, so the claim keeps its plan (see {@link #install()}). Methods that
 * return nothing block and belong on the main thread.
 */
final class RawLifecycle {

    static final String SCHEMA = "ff_bench_raw";
    static final String APPLICATION_NAME = "flowfabric-bench-raw";

    private static final String LANE = "bench";
    private static final String TABLE = SCHEMA + ".bench_raw";
    private static final String INSERT = "INSERT INTO " + TABLE + " (lane, payload, state) VALUES ($1, $2, 'ready')";
    private static final String CLAIM = "UPDATE " + TABLE + " SET state = 'claimed', owner = $1 WHERE id = ("
            + "SELECT id FROM " + TABLE + " WHERE lane = '" + LANE + "' AND state = 'ready' "
            + "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id";
    private static final String DONE = "UPDATE " + TABLE + " SET state = 'done' WHERE id = $1";
    private static final String COUNT_DONE =
            "SELECT count(*) FILTER (WHERE state = 'done') AS done, count(*) AS total FROM " + TABLE;

    private final ConnectionFactory admin;
    private final String r2dbcUrl;
    private final boolean validationQuery;

    /**
     * @param admin           a connection factory for DDL and checks (not measured)
     * @param r2dbcUrl        the database
     * @param validationQuery whether the measured pool runs {@code SELECT 1} on every acquire (the engine's pool
     *                        does not; {@code lifecycle} passes false)
     */
    RawLifecycle(ConnectionFactory admin, String r2dbcUrl, boolean validationQuery) {
        this.admin = admin;
        this.r2dbcUrl = r2dbcUrl;
        this.validationQuery = validationQuery;
    }

    /** Creates the schema and the table (after dropping a leftover from an aborted run). Blocks. */
    void install() {
        uninstall();
        BenchSql.update(admin, "CREATE SCHEMA " + SCHEMA).block();
        // No autovacuum: an automatic ANALYZE in the middle of a round (it sees every row 'ready') makes the planner
        // switch the claim from the partial index to a primary-key scan that filters, which then walks every row
        // already processed on each claim; one such round ran at a twelfth of the others' rate. TRUNCATE between
        // rounds does what vacuum would.
        BenchSql.update(admin, "CREATE TABLE " + TABLE + " (id bigserial PRIMARY KEY, lane text NOT NULL, "
                + "payload bytea, state text NOT NULL, owner text, created_at timestamptz DEFAULT now()) "
                + "WITH (autovacuum_enabled = false)").block();
        BenchSql.update(admin, "CREATE INDEX bench_raw_ready ON " + TABLE + " (lane, id) WHERE state = 'ready'")
                .block();
    }

    /** Drops the schema and everything in it. Blocks. */
    void uninstall() {
        BenchSql.update(admin, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE").block();
    }

    /**
     * Runs one round on an emptied table: inserts {@code n} rows with {@code createConcurrency} statements in flight,
     * then lets {@code workers} workers claim and complete until a claim finds nothing, then checks that all
     * {@code n} rows are done. Blocks.
     *
     * @throws BenchFailure when a row was not processed exactly once
     */
    LifecycleRun run(int n, int workers, int createConcurrency, byte[] payload) {
        BenchSql.update(admin, "TRUNCATE " + TABLE + " RESTART IDENTITY").block();
        ConnectionPool pool = BenchPools.create(r2dbcUrl, workers, workers + 4, APPLICATION_NAME, validationQuery);
        try {
            pool.warmup().block();
            CpuMeter cpu = new CpuMeter(admin, APPLICATION_NAME);

            CpuMeter.Sample createCpu = cpu.start();
            long createStart = System.nanoTime();
            Long inserted = Flux.range(0, n)
                    .flatMap(i -> BenchSql.update(pool, INSERT, LANE, payload), createConcurrency)
                    .reduce(0L, Long::sum)
                    .block();
            long createNanos = System.nanoTime() - createStart;
            CpuMeter.Use createUse = createCpu.since();
            if (inserted == null || inserted != n) {
                throw new BenchFailure("system=raw check=inserted expected=" + n + " actual=" + inserted);
            }

            Latencies latencies = new Latencies(n);
            Latencies claims = new Latencies(n);
            AtomicLong processed = new AtomicLong();
            CpuMeter.Sample processCpu = cpu.start();
            long processStart = System.nanoTime();
            Flux.range(0, workers)
                    .flatMap(w -> worker(pool, "raw-" + w, latencies, claims, processed), workers)
                    .then()
                    .block();
            long processNanos = System.nanoTime() - processStart;
            CpuMeter.Use processUse = processCpu.since();

            verify(n, processed.get());
            return new LifecycleRun("raw", 0, n, createNanos, processNanos, latencies.percentileMillis(0.50),
                    latencies.percentileMillis(0.99), claims.percentileMillis(0.50), claims.percentileMillis(0.99),
                    createUse, processUse);
        } finally {
            pool.disposeLater().block(Duration.ofSeconds(30));
        }
    }

    /** Claims one row at a time and marks it done, until a claim returns no row. */
    private static Mono<Void> worker(ConnectionFactory pool, String owner, Latencies latencies, Latencies claims,
                                     AtomicLong processed) {
        Mono<Boolean> cycle = Mono.defer(() -> {
            long claimStart = System.nanoTime();
            return BenchSql.queryOne(pool, CLAIM, row -> row.get(0, Long.class), owner)
                    .flatMap(id -> {
                        long claimedAt = System.nanoTime();
                        claims.record(claimedAt - claimStart);
                        return BenchSql.update(pool, DONE, id).map(updated -> {
                            if (updated != 1) {
                                throw new BenchFailure("system=raw check=done id=" + id + " updated=" + updated);
                            }
                            latencies.record(System.nanoTime() - claimedAt);
                            processed.incrementAndGet();
                            return true;
                        });
                    })
                    .defaultIfEmpty(false);
        });
        // Repeat (not recurse) so a long run does not nest one operator per item.
        return cycle.repeat().takeUntil(more -> !more).then();
    }

    private void verify(int n, long processed) {
        long[] counts = BenchSql.queryOne(admin, COUNT_DONE,
                        row -> new long[] {row.get("done", Long.class), row.get("total", Long.class)})
                .blockOptional()
                .orElseThrow();
        if (processed != n || counts[0] != n || counts[1] != n) {
            throw new BenchFailure("system=raw check=all_done expected=" + n + " processed=" + processed
                    + " done_rows=" + counts[0] + " rows=" + counts[1]);
        }
    }
}
