package io.flowfabric.bench;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.postgres.sql.Channels;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * {@code completions} (issue 3): completion-event delivery to several subscribers of
 * {@code subscribeCompletions(SubscribeRequest.fromNow())} at an offered rate, and the highest rate they keep up
 * with.
 *
 * <p><b>Main phase.</b> Executions are created (and, for the {@code complete} producer, claimed) during setup; then an
 * open-loop timer ends them at the offered rate, each call committing exactly one completion event: a worker
 * {@code complete(fence)} (default) or an operator {@code cancelExecution}. Each of S subscribers records when it
 * received each event. Three latencies are reported per event and subscriber:
 * <ul>
 *   <li>{@code onNext − call returned} (the headline figure): the client saw the commit when the call's
 *       {@code Mono} completed, so this <em>understates</em> commit-to-delivery by the commit reply's trip and the
 *       client's scheduling delay; negative values (delivery beat the reply) are clamped to 0 and counted;</li>
 *   <li>{@code onNext − call issued}: an upper bound, adding the call's own duration;</li>
 *   <li>{@code onNext − occurred_at} on the database clock (local clock corrected by the offset measured with
 *       {@code admin().serverTime()}): millisecond resolution; {@code occurred_at} is taken inside the transaction,
 *       before the commit, so it slightly overstates.</li>
 * </ul>
 *
 * <p><b>Step-up.</b> Steps at each of {@code --step-rates} for {@code --step-seconds}, stopping at the first that
 * lags: a step keeps up when the producer achieved ≥ 95 % of the offered rate, every event reached every subscriber,
 * p99 stayed ≤ 1 s, and when the producer stopped the subscribers were behind by at most one second's worth of
 * events (the backlog did not grow). The engine's own write path tops out near 1,000 events/s on
 * a small machine, below what the subscribers can read, so by default the steps produce with plain SQL
 * ({@code --step-producer sql}): each 1 ms tick inserts the events due into {@code ff_completion_event} in one
 * statement with the NOTIFY the engine sends, exactly what a subscription reads; the completion dispatcher marks
 * them dispatched as it does for real events. With {@code --step-producer engine} the steps use the main producer,
 * and when it cannot offer a step's rate the result is reported as a lower bound.
 */
final class CompletionsScenario implements BenchScenario {

    private static final String SCHEMA = "ff_bench_completions";
    private static final String LANE = "completions";
    private static final double KEEP_UP_P99_MS = 1000;
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(10);
    /** Setup leases must outlive the run; no lease-expiry job runs anyway. */
    private static final Duration SETUP_LEASE = Duration.ofMinutes(10);
    private static final int SQL_MAX_BATCH = 1000;
    private static final int SQL_MAX_IN_FLIGHT = 8;
    private static final int CLOCK_SAMPLES = 20;

    /** What the SQL producer writes: the columns every completion event has, and the engine's wake-up. */
    private static final String SQL_INSERT = """
            WITH ins AS (
              INSERT INTO %1$s.ff_completion_event (partition_key, occurred_at_ms, namespace, execution_id, outcome)
              SELECT t.p::smallint, %1$s.now_ms(), 'default', t.id, $3
              FROM unnest($1::int[], $2::uuid[]) AS t(p, id)
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM ins) AS n FROM (SELECT pg_notify($4, '')) AS wake""".formatted(SCHEMA);

    @Override
    public String name() {
        return "completions";
    }

    @Override
    public String summary() {
        return "S subscribers of subscribeCompletions at an offered event rate; latency and max sustained rate (#3)";
    }

    @Override
    public List<BenchOption> options() {
        return List.of(
                BenchOption.value("rate", "1000", "offered completion events per second in the main phase"),
                BenchOption.value("seconds", "10", "length of the main phase"),
                BenchOption.value("subscribers", "3", "concurrent subscribers"),
                BenchOption.value("producer", "complete", "main phase: complete (worker complete of executions "
                        + "claimed in setup) or cancel (operator cancel of waiting executions)"),
                BenchOption.value("step-rates", "1000,2000,4000,8000,16000,32000",
                        "offered rates of the step-up search, ascending; stops at the first that lags"),
                BenchOption.value("step-seconds", "3", "length of each step"),
                BenchOption.value("step-producer", "sql", "steps: sql (INSERT events + NOTIFY, batched per tick) "
                        + "or engine (the main producer)"),
                BenchOption.value("warmup-seconds", "15", "warm-up at the main rate, not counted (JIT compilation on 2 CPUs lasts over 10 s)"),
                BenchOption.value("inflight", "32", "most producer calls in flight at once (engine pool 8..inflight+8)"),
                BenchOption.optional("url", "r2dbc-url", "use this database instead of the testing module's"));
    }

    @Override
    public void run(BenchOptions options, PrintStream out) {
        int rate = options.intAtLeast("rate", 1);
        int seconds = options.intAtLeast("seconds", 1);
        int subscribers = options.intAtLeast("subscribers", 1);
        List<Integer> steps = options.intList("step-rates", 1);
        int stepSeconds = options.intAtLeast("step-seconds", 1);
        int warmupSeconds = options.intAtLeast("warmup-seconds", 0);
        int inflight = options.intAtLeast("inflight", 1);
        Producer producer = switch (options.value("producer").orElseThrow()) {
            case "complete" -> Producer.COMPLETE;
            case "cancel" -> Producer.CANCEL;
            default -> throw new BenchUsageException("--producer must be complete or cancel");
        };
        Producer stepProducer = switch (options.value("step-producer").orElseThrow()) {
            case "sql" -> Producer.SQL;
            case "engine" -> producer;
            default -> throw new BenchUsageException("--step-producer must be sql or engine");
        };
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i) <= steps.get(i - 1)) {
                throw new BenchUsageException("--step-rates must be ascending, got " + steps);
            }
        }

        try (BenchRun run = BenchRun.open(options.value("url").orElse(null), out)) {
            run.header("completions (issue 3)", List.of(
                    String.format(Locale.ROOT, "main phase %d events/s for %d s, %d subscribers "
                                    + "(subscribeCompletions(fromNow()), batch %d, poll %d ms)", rate, seconds,
                            subscribers, SubscribeRequest.DEFAULT_BATCH, SubscribeRequest.DEFAULT_POLL.toMillis()),
                    "main producer: " + producer.description + "; at most " + inflight + " calls in flight",
                    "step-up " + steps + " events/s, " + stepSeconds + " s each, producer: "
                            + stepProducer.description,
                    "warm-up " + warmupSeconds + " s at the main rate (not counted); open-loop 1 ms timer",
                    "p50/p99/max = onNext - call returned (understates commit->delivery by the reply trip; <0 "
                            + "clamped to 0 and counted)",
                    "iss = onNext - call issued (upper bound); db = onNext - occurred_at_ms on the db clock "
                            + "(1 ms resolution, overstates by the commit)",
                    "engine: one node, pool 8.." + (inflight + 8) + ", background reconcilers off (the completion "
                            + "dispatcher runs, as always)"));
            PostgresEngine engine = run.engine(SCHEMA, b -> b.poolSize(8, inflight + 8));
            long clockOffsetMicros = databaseClockOffsetMicros(engine);
            out.printf(Locale.ROOT, "database clock - local clock: %+.2f ms (best of %d serverTime() round trips)%n%n",
                    clockOffsetMicros / 1000.0, CLOCK_SAMPLES);
            Deliveries deliveries = new Deliveries(subscribers, clockOffsetMicros);
            List<Disposable> subscriptions = new ArrayList<>();
            for (int s = 0; s < subscribers; s++) {
                int index = s;
                subscriptions.add(engine.subscriptions().subscribeCompletions(SubscribeRequest.fromNow())
                        .subscribe(event -> deliveries.deliver(index, event), deliveries::fail));
            }
            Producers producers = new Producers(engine);
            try {
                // "From now" is fixed when the subscription's first statement runs; give it time before producing.
                BenchRun.sleep(Duration.ofMillis(500));
                if (warmupSeconds > 0) {
                    Phase warmup = runPhase(producers, producer, deliveries, "warm-up", rate, rate * warmupSeconds,
                            inflight);
                    out.printf(Locale.ROOT, "warm-up: %d events at %d/s, not counted (%s)%n%n", warmup.count, rate,
                            warmup.undelivered() == 0 ? "all delivered" : warmup.undelivered() + " not delivered");
                }
                out.println(Row.HEADER);
                Phase main = runPhase(producers, producer, deliveries, "main " + producer.label, rate,
                        rate * seconds, inflight);
                Row mainRow = main.row();
                out.println(mainRow.format());
                out.println(main.perSubscriber());
                if (!mainRow.producerOnSchedule()) {
                    out.printf(Locale.ROOT, "      warning: the %s producer fell behind (%.0f of %d events/s): the "
                            + "main phase ran below its offered rate%n", producer.label, mainRow.achieved(), rate);
                }

                int maxSustained = 0;
                String stopReason = "every step kept up: the limit is above the last step";
                for (int stepRate : steps) {
                    Phase step = runPhase(producers, stepProducer, deliveries, "step " + stepProducer.label,
                            stepRate, stepRate * stepSeconds, inflight);
                    Row row = step.row();
                    out.println(row.format());
                    if (!row.producerOnSchedule()) {
                        stopReason = String.format(Locale.ROOT, "the %s producer reached only %.0f of %d events/s: "
                                + "the subscribers' limit was not reached, so %d/s is a lower bound",
                                stepProducer.label, row.achieved(), stepRate, maxSustained);
                        break;
                    }
                    if (!row.keptUp()) {
                        stopReason = String.format(Locale.ROOT, "at %d/s delivery lagged (p99 %.0f ms, backlog at "
                                + "the end %d of at most %d, drain %s, %d undelivered)", stepRate, row.p99(),
                                row.backlogAtEnd(), row.backlogLimit(), row.drainText(), row.undelivered());
                        break;
                    }
                    maxSustained = stepRate;
                }
                out.println();
                out.println("max sustained: " + maxSustained + " events/s; " + stopReason);

                verify(run, deliveries);
                out.println();
                if (rate == 1000) {
                    out.printf(Locale.ROOT, "target: p99 <= 20 ms at 1,000/s -> measured p99 %.2f ms (%s)%n",
                            mainRow.p99(), mainRow.p99() <= 20 ? "met" : "NOT met");
                } else {
                    out.println("target: p99 <= 20 ms is stated for 1,000/s; this run's main rate was " + rate + "/s");
                }
                run.footer();
                out.printf(Locale.ROOT, "RESULT scenario=completions rate_per_s=%d p50_ms=%.2f p99_ms=%.2f "
                        + "max_sustained_per_s=%d%n", rate, mainRow.p50(), mainRow.p99(), maxSustained);
            } finally {
                subscriptions.forEach(Disposable::dispose);
            }
        }
    }

    /**
     * The database clock minus the local clock in microseconds, from the {@code serverTime()} round trip with the
     * smallest duration (its midpoint is the best estimate of when the server read its clock).
     */
    private static long databaseClockOffsetMicros(PostgresEngine engine) {
        long bestRtt = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < CLOCK_SAMPLES; i++) {
            long before = micros(Instant.now());
            Instant server = engine.admin().serverTime().block(Duration.ofSeconds(10));
            long after = micros(Instant.now());
            if (server != null && after - before < bestRtt) {
                bestRtt = after - before;
                offset = server.toEpochMilli() * 1000 - (before + after) / 2;
            }
        }
        return offset;
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    /**
     * Sets the phase's events up (creates, claims, or mints ids for SQL rows), ends them at the offered rate and
     * waits for delivery.
     */
    private static Phase runPhase(Producers producers, Producer producer, Deliveries deliveries, String label,
                                  int rate, int count, int inflight) {
        Phase phase = producers.prepare(producer, label, rate, count, deliveries.subscribers);
        deliveries.register(phase);
        Duration timeout = Duration.ofSeconds(60L + 3L * count / rate);
        if (producer == Producer.SQL) {
            phase.producer = OpenLoop.runBatched(count, rate, SQL_MAX_IN_FLIGHT, SQL_MAX_BATCH, (first, size) -> {
                long now = System.nanoTime();
                for (int i = first; i < first + size; i++) {
                    phase.issuedAt.set(i, now);
                }
                return producers.insert(phase, first, size).doOnSuccess(n -> {
                    long committed = System.nanoTime();
                    for (int i = first; i < first + size; i++) {
                        phase.committedAt.set(i, committed);
                    }
                });
            }, timeout);
        } else {
            phase.producer = OpenLoop.run(count, rate, inflight, i -> {
                phase.issuedAt.set(i, System.nanoTime());
                return producers.end(producer, phase, i)
                        .doOnSuccess(c -> phase.committedAt.set(i, System.nanoTime()));
            }, timeout);
        }
        if (phase.producer.failed() > 0) {
            throw new BenchFailure("check=producer phase=" + label + " failed=" + phase.producer.failed()
                    + " first_error=" + phase.producer.firstError());
        }
        phase.backlogAtEnd = phase.undelivered();
        long drainStart = System.nanoTime();
        while (phase.undelivered() > 0 && System.nanoTime() - drainStart < DRAIN_LIMIT.toNanos()) {
            BenchRun.sleep(Duration.ofMillis(2));
        }
        phase.drainNanos = phase.undelivered() == 0 ? System.nanoTime() - drainStart : -1;
        deliveries.failure();
        return phase;
    }

    private static void verify(BenchRun run, Deliveries deliveries) {
        long events = run.queryLong("SELECT count(*) FROM " + SCHEMA + ".ff_completion_event");
        long produced = deliveries.produced.get();
        if (events != produced || deliveries.duplicates.get() != 0 || deliveries.wrongOutcome.get() != 0) {
            throw new BenchFailure("check=events produced=" + produced + " completion_events=" + events
                    + " duplicate_deliveries=" + deliveries.duplicates.get() + " wrong_outcome_deliveries="
                    + deliveries.wrongOutcome.get());
        }
    }

    /** How completion events are produced. */
    private enum Producer {
        COMPLETE("complete", "worker complete(fence) of executions created and claimed in setup",
                TerminalOutcome.SUCCESS),
        CANCEL("cancel", "operator cancelExecution of waiting executions created in setup",
                TerminalOutcome.CANCELLED),
        SQL("sql", "plain SQL: INSERT of the events due per tick (up to " + SQL_MAX_BATCH + " per statement, "
                + SQL_MAX_IN_FLIGHT + " statements in flight) with the engine's NOTIFY", TerminalOutcome.CANCELLED);

        final String label;
        final String description;
        final TerminalOutcome outcome;

        Producer(String label, String description, TerminalOutcome outcome) {
            this.label = label;
            this.description = description;
            this.outcome = outcome;
        }
    }

    /** Setup and calls of the producers on one engine. */
    private static final class Producers {
        private final PostgresEngine engine;
        private final String completionChannel;

        Producers(PostgresEngine engine) {
            this.engine = engine;
            this.completionChannel = new Channels(SCHEMA).completion();
        }

        Phase prepare(Producer producer, String label, int rate, int count, int subscribers) {
            CreateExecution request = CreateExecution.builder(LANE).build();
            return switch (producer) {
                case CANCEL -> new Phase(label, rate, producer.outcome,
                        EngineSetup.createAll(engine, count, i -> request), List.of(), subscribers);
                case COMPLETE -> {
                    EngineSetup.createAll(engine, count, i -> request);
                    List<ClaimedExecution> claimed = EngineSetup.claimAll(engine, LANE, count, SETUP_LEASE);
                    yield new Phase(label, rate, producer.outcome,
                            claimed.stream().map(ClaimedExecution::executionId).toList(), claimed, subscribers);
                }
                case SQL -> {
                    List<ExecutionId> ids = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        ids.add(ExecutionId.standalone());
                    }
                    yield new Phase(label, rate, producer.outcome, ids, List.of(), subscribers);
                }
            };
        }

        Mono<?> end(Producer producer, Phase phase, int i) {
            return producer == Producer.COMPLETE
                    ? engine.workers().complete(phase.claimed.get(i).fence(), null, null)
                    : engine.operator().cancelExecution(phase.ids.get(i), "bench", "bench-completions");
        }

        Mono<Long> insert(Phase phase, int first, int size) {
            Integer[] partitions = new Integer[size];
            UUID[] uuids = new UUID[size];
            for (int k = 0; k < size; k++) {
                ExecutionId id = phase.ids.get(first + k);
                partitions[k] = id.partition();
                uuids[k] = id.uuid();
            }
            return BenchSql.queryOne(engine.connectionFactory(), SQL_INSERT, row -> row.get("n", Long.class),
                            partitions, uuids, phase.outcome.literal(), completionChannel)
                    .doOnNext(n -> {
                        if (n != size) {
                            throw new BenchFailure("check=sql_insert expected=" + size + " inserted=" + n);
                        }
                    });
        }
    }

    /** Routes every subscriber's events to the phase that produced them. */
    private static final class Deliveries {
        final int subscribers;
        final long clockOffsetMicros;
        final Map<ExecutionId, Slot> slots = new ConcurrentHashMap<>();
        final AtomicLong produced = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong wrongOutcome = new AtomicLong();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Deliveries(int subscribers, long clockOffsetMicros) {
            this.subscribers = subscribers;
            this.clockOffsetMicros = clockOffsetMicros;
        }

        void register(Phase phase) {
            for (int i = 0; i < phase.count; i++) {
                slots.put(phase.ids.get(i), new Slot(phase, i));
            }
            produced.addAndGet(phase.count);
        }

        /** On a driver thread: a map lookup and a few atomic writes. */
        void deliver(int subscriber, CompletionEvent event) {
            long now = System.nanoTime();
            long nowMicros = micros(Instant.now());
            Slot slot = slots.get(event.payload().executionId());
            if (slot == null) {
                return;
            }
            Phase phase = slot.phase;
            if (event.payload().outcome() != phase.outcome) {
                wrongOutcome.incrementAndGet();
            }
            if (phase.deliveredAt[subscriber].compareAndSet(slot.index, 0, now)) {
                long occurredMicros = event.payload().occurredAt().toEpochMilli() * 1000;
                phase.dbLatencyMicros[subscriber].set(slot.index, nowMicros + clockOffsetMicros - occurredMicros);
                phase.delivered[subscriber].incrementAndGet();
            } else {
                duplicates.incrementAndGet();
            }
        }

        void fail(Throwable e) {
            error.compareAndSet(null, e);
        }

        /** Ends the run when a subscription errored: its numbers would be meaningless. */
        void failure() {
            Throwable e = error.get();
            if (e != null) {
                throw new BenchFailure("check=subscription error=" + e);
            }
        }
    }

    private record Slot(Phase phase, int index) {
    }

    /**
     * One phase: its events and, per event, when it was issued, committed and delivered to each subscriber. The
     * producer fields are set by {@link #runPhase} on the main thread.
     */
    private static final class Phase {
        final String label;
        final int rate;
        final TerminalOutcome outcome;
        final int count;
        final List<ExecutionId> ids;
        final List<ClaimedExecution> claimed;
        final AtomicLongArray issuedAt;
        final AtomicLongArray committedAt;
        final AtomicLongArray[] deliveredAt;
        final AtomicLongArray[] dbLatencyMicros;
        final AtomicInteger[] delivered;
        OpenLoop.Outcome producer = new OpenLoop.Outcome(0, 0, 0, 0, 1, null);
        long backlogAtEnd;
        long drainNanos;

        Phase(String label, int rate, TerminalOutcome outcome, List<ExecutionId> ids, List<ClaimedExecution> claimed,
              int subscribers) {
            this.label = label;
            this.rate = rate;
            this.outcome = outcome;
            this.count = ids.size();
            this.ids = ids;
            this.claimed = claimed;
            this.issuedAt = new AtomicLongArray(count);
            this.committedAt = new AtomicLongArray(count);
            this.deliveredAt = new AtomicLongArray[subscribers];
            this.dbLatencyMicros = new AtomicLongArray[subscribers];
            this.delivered = new AtomicInteger[subscribers];
            for (int s = 0; s < subscribers; s++) {
                deliveredAt[s] = new AtomicLongArray(count);
                dbLatencyMicros[s] = new AtomicLongArray(count);
                delivered[s] = new AtomicInteger();
            }
        }

        /** Events not yet delivered, summed over subscribers. */
        long undelivered() {
            long missing = 0;
            for (AtomicInteger d : delivered) {
                missing += count - d.get();
            }
            return missing;
        }

        Row row() {
            int samples = count * delivered.length;
            Latencies committed = new Latencies(samples);
            Latencies issued = new Latencies(samples);
            Latencies database = new Latencies(samples);
            int clamped = 0;
            for (int s = 0; s < deliveredAt.length; s++) {
                for (int i = 0; i < count; i++) {
                    long d = deliveredAt[s].get(i);
                    if (d == 0) {
                        continue;
                    }
                    long fromCommit = d - committedAt.get(i);
                    if (fromCommit < 0) {
                        clamped++;
                    }
                    committed.record(Math.max(0, fromCommit));
                    issued.record(d - issuedAt.get(i));
                    database.record(dbLatencyMicros[s].get(i) * 1000);
                }
            }
            return new Row(label + " " + rate + "/s", producer.achievedRate(), producer.onSchedule(), count,
                    committed.percentileMillis(0.50), committed.percentileMillis(0.99),
                    committed.percentileMillis(1.0), issued.percentileMillis(0.50), issued.percentileMillis(0.99),
                    database.percentileMillis(0.50), database.percentileMillis(0.99), clamped, backlogAtEnd,
                    (long) rate * delivered.length, drainNanos, undelivered());
        }

        String perSubscriber() {
            StringBuilder text = new StringBuilder("      per subscriber p50/p99 ms:");
            for (int s = 0; s < deliveredAt.length; s++) {
                Latencies l = new Latencies(count);
                for (int i = 0; i < count; i++) {
                    long d = deliveredAt[s].get(i);
                    if (d != 0) {
                        l.record(Math.max(0, d - committedAt.get(i)));
                    }
                }
                text.append(String.format(Locale.ROOT, "  #%d %.2f/%.2f", s + 1, l.percentileMillis(0.5),
                        l.percentileMillis(0.99)));
            }
            return text.toString();
        }
    }

    /** The reported figures of one phase (latencies pooled over subscribers). */
    private record Row(String label, double achieved, boolean producerOnSchedule, int events, double p50,
                       double p99, double max, double issuedP50, double issuedP99, double dbP50, double dbP99,
                       int clamped, long backlogAtEnd, long backlogLimit, long drainNanos, long undelivered) {

        static final String HEADER = String.format(Locale.ROOT,
                "%-23s %10s %6s %7s %7s %7s %7s %7s %7s %7s %7s %8s %7s", "phase", "achieved/s", "events",
                "p50 ms", "p99 ms", "max ms", "iss p50", "iss p99", "db p50", "db p99", "backlog", "drain ms",
                "clamped");

        /**
         * Every event delivered, p99 at most 1 s, and when the producer stopped the subscribers were behind by at
         * most one second's worth of events (a growing backlog fails this; a single slow event does not).
         */
        boolean keptUp() {
            return undelivered == 0 && p99 <= KEEP_UP_P99_MS && backlogAtEnd <= backlogLimit;
        }

        String drainText() {
            return drainNanos < 0 ? "> " + DRAIN_LIMIT.toSeconds() + " s"
                    : String.format(Locale.ROOT, "%.0f ms", drainNanos / 1e6);
        }

        String format() {
            return String.format(Locale.ROOT,
                    "%-23s %10.0f %6d %7.2f %7.2f %7.1f %7.2f %7.2f %7.1f %7.1f %7d %8s %7d", label, achieved,
                    events, p50, p99, max, issuedP50, issuedP99, dbP50, dbP99, backlogAtEnd,
                    drainNanos < 0 ? ">" + DRAIN_LIMIT.toMillis()
                            : String.format(Locale.ROOT, "%.0f", drainNanos / 1e6), clamped);
        }
    }
}
