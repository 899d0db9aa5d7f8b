package io.flowfabric.examples.showcase;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.ExecutionSummary;
import io.flowfabric.core.execution.FailOutcome;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.PostgresServer;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The showcase: a few hundred executions of four kinds run through several concurrent workers.
 *
 * <ul>
 *   <li>{@code email}: succeeds at once;</li>
 *   <li>{@code flaky}: fails with a transient error on its first attempt, is retried after a backoff, succeeds;</li>
 *   <li>{@code doomed}: fails every attempt; after its retries it ends {@code failed};</li>
 *   <li>{@code report}: created with a delay, runs when the delay is over;</li>
 * </ul>
 * and one execution is cancelled by an operator before it runs. The summary prints counts by outcome, throughput and
 * a few executions described.
 *
 * <p>Run: {@code mvn -q -pl docs -am compile exec:java} (embedded PostgreSQL), or add
 * {@code -Dexec.args="--url r2dbc:postgresql://user:pass@host:5432/db"} for an external server.
 * {@code --executions N} changes the count (default 300), {@code --workers W} the worker count (default 4).
 */
public final class Showcase {

    private static final String NAMESPACE = "showcase";
    private static final String LANE = "showcase";

    private final FlowFabric engine;
    private final int total;
    private final int workers;
    private final Map<String, ExecutionId> samples = new ConcurrentHashMap<>();
    private final AtomicInteger finished = new AtomicInteger();

    Showcase(FlowFabric engine, int total, int workers) {
        this.engine = engine;
        this.total = total;
        this.workers = workers;
    }

    public static void main(String[] args) {
        String url = option(args, "--url", System.getenv("FLOWFABRIC_SHOWCASE_URL"));
        int total = Integer.parseInt(option(args, "--executions", "300"));
        int workers = Integer.parseInt(option(args, "--workers", "4"));
        Summary summary = run(url, total, workers);
        System.out.println(summary.render());
        if (!summary.consistent()) {
            System.exit(1);
        }
    }

    /**
     * Runs the showcase against {@code r2dbcUrl}, or a fresh database on the testing module's server when it is
     * {@code null}, and returns its summary.
     */
    public static Summary run(@Nullable String r2dbcUrl, int total, int workers) {
        TestDatabase db = null;
        String url = r2dbcUrl;
        String where;
        if (url == null) {
            db = PostgresServer.shared().createDatabase("showcase");
            url = db.r2dbcUrl();
            where = "PostgreSQL " + db.server().serverVersion() + " (" + db.server().kind().name().toLowerCase()
                    + "), database " + db.name();
        } else {
            where = "PostgreSQL at " + url.replaceAll("//[^@/]*@", "//***@");
        }
        PostgresEngine engine = PostgresEngine.builder()
                .url(url)
                .schema("flowfabric")
                .poolSize(2, workers + 4)
                .reconcilerInterval("delayed_promoter", Duration.ofMillis(100))
                .reconcilerInterval("lease_expiry", Duration.ofMillis(500))
                .build();
        try {
            engine.start().block(Duration.ofMinutes(2));
            return new Showcase(engine, total, workers).execute(where);
        } finally {
            engine.close();
            if (db != null) {
                db.close();
            }
        }
    }

    private Summary execute(String where) {
        long started = System.nanoTime();
        ExecutionPolicy retrying = ExecutionPolicy.builder()
                .retry(RetryPolicy.builder().maxRetries(2).backoff(Backoff.fixed(Duration.ofMillis(300))).build())
                .build();
        // Created up front: four kinds in rotation, then one that an operator cancels before it is due.
        Flux.range(0, total - 1)
                .flatMap(i -> create(i, retrying), 16)
                .then(cancelOne())
                .block(Duration.ofMinutes(2));
        long created = System.nanoTime();

        Flux.range(0, workers)
                .flatMap(this::worker, workers)
                .then()
                .block(Duration.ofMinutes(5));
        long done = System.nanoTime();
        return summarize(where, Duration.ofNanos(created - started), Duration.ofNanos(done - created));
    }

    private Mono<Void> create(int i, ExecutionPolicy retrying) {
        String kind = switch (i % 4) {
            case 0 -> "flaky";
            case 1 -> "doomed";
            case 2 -> "report";
            default -> "email";
        };
        CreateExecution.Builder request = CreateExecution.builder(LANE)
                .namespace(NAMESPACE)
                .executionKind(kind)
                .input(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), "application/json")
                .priority(kind.equals("email") ? 10 : 0)
                .policy(retrying)
                .idempotencyKey("showcase-" + i);
        if (kind.equals("report")) {
            request.delayFor(Duration.ofSeconds(1));
        }
        return engine.executions().createExecution(request.build())
                .doOnNext(result -> samples.putIfAbsent(kind, result.executionId()))
                .then();
    }

    private Mono<Void> cancelOne() {
        return engine.executions().createExecution(CreateExecution.builder(LANE).namespace(NAMESPACE)
                        .executionKind("email").delayFor(Duration.ofMinutes(10)).build())
                .flatMap(created -> engine.operator()
                        .cancelExecution(created.executionId(), "no longer needed", "showcase-operator")
                        .doOnNext(c -> {
                            samples.put("cancelled", created.executionId());
                            finished.incrementAndGet();
                        }))
                .then();
    }

    /** One worker: claims up to four at a time, waiting up to a second for work, until everything has finished. */
    private Mono<Void> worker(int n) {
        ClaimRequest request = ClaimRequest.builder("showcase-worker", "showcase-worker-" + n)
                .lane(LANE)
                .leaseTtl(Duration.ofSeconds(30))
                .maxWait(Duration.ofSeconds(1))
                .build();
        return Flux.defer(() -> engine.workers().claimBatch(request, 4))
                .concatMap(this::handle)
                .then()
                .repeat(() -> finished.get() < total)
                .then();
    }

    private Mono<Void> handle(ClaimedExecution claimed) {
        return switch (claimed.executionKind()) {
            case "flaky" -> claimed.attemptIndex() == 0
                    ? fail(claimed, "upstream timed out", FailureClass.TRANSIENT)
                    : complete(claimed, "recovered on attempt " + claimed.attemptIndex());
            case "doomed" -> fail(claimed, "input can never be processed", FailureClass.TRANSIENT);
            default -> complete(claimed, "ok");
        };
    }

    private Mono<Void> complete(ClaimedExecution claimed, String result) {
        return engine.workers().progress(claimed.fence(), 100, "done")
                .then(engine.workers().complete(claimed.fence(), result.getBytes(StandardCharsets.UTF_8),
                        "text/plain"))
                .doOnNext(c -> finished.incrementAndGet())
                .then();
    }

    private Mono<Void> fail(ClaimedExecution claimed, String message, FailureClass cls) {
        return engine.workers().fail(claimed.fence(), FailureReason.of(message), cls)
                .doOnNext(outcome -> {
                    if (outcome instanceof FailOutcome.TerminalFailed) {
                        finished.incrementAndGet();
                    }
                })
                .then();
    }

    private Summary summarize(String where, Duration createTime, Duration runTime) {
        Map<PublicState, Integer> byState = new EnumMap<>(PublicState.class);
        String cursor = null;
        do {
            Page<ExecutionSummary> page = engine.executions()
                    .listExecutions(ExecutionQuery.byNamespace(NAMESPACE), cursor, 1000).block();
            page.items().forEach(s -> byState.merge(s.publicState(), 1, Integer::sum));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        List<String> described = new ArrayList<>();
        for (String kind : List.of("flaky", "doomed", "report", "cancelled")) {
            ExecutionId id = samples.get(kind);
            if (id == null) {
                continue;
            }
            ExecutionSnapshot s = engine.executions().describeExecution(id).block().orElseThrow();
            List<AttemptSnapshot> attempts = engine.executions().listAttempts(id).collectList().block();
            StringBuilder line = new StringBuilder()
                    .append(String.format("  %-9s %s%n", kind, id))
                    .append(String.format("            state %s, %d attempt(s), lease epoch %d%s%n",
                            s.publicState().literal(), s.counters().attemptCount(), s.counters().leaseEpoch(),
                            s.lastFailureMessage() == null ? "" : ", last failure \"" + s.lastFailureMessage() + "\""));
            for (AttemptSnapshot a : attempts) {
                line.append(String.format("            attempt %d (%s) %s, ended: %s%n", a.attemptIndex(),
                        a.type().literal(), a.lifecycle().literal(),
                        a.endReason() == null ? "-" : a.endReason().literal()));
            }
            if (s.cancellationReason() != null) {
                line.append(String.format("            cancelled by %s: %s%n", s.cancelledBy(),
                        s.cancellationReason()));
            }
            engine.executions().getExecutionResult(id).block()
                    .ifPresent(p -> line.append(String.format("            result: %s%n", p.utf8())));
            described.add(line.toString());
        }
        return new Summary(where, total, byState, createTime, runTime, described);
    }

    /** What the showcase did; {@link #consistent()} checks that every execution ended as its kind should. */
    public record Summary(String where, int total, Map<PublicState, Integer> byState, Duration createTime,
                          Duration runTime, List<String> described) {

        public int count(PublicState state) {
            return byState.getOrDefault(state, 0);
        }

        /** Every execution is terminal, exactly one was cancelled, and the doomed quarter failed. */
        public boolean consistent() {
            int terminal = count(PublicState.COMPLETED) + count(PublicState.FAILED) + count(PublicState.CANCELLED);
            int doomed = (total - 1 + 2) / 4;
            return terminal == total && count(PublicState.CANCELLED) == 1 && count(PublicState.FAILED) == doomed;
        }

        public String render() {
            double seconds = runTime.toNanos() / 1e9;
            StringBuilder out = new StringBuilder();
            out.append("\nFlowFabric showcase on ").append(where).append('\n');
            out.append(String.format("  %d executions created in %d ms, run by workers in %.2f s (%.0f executions/s)%n",
                    total, createTime.toMillis(), seconds, (total - 1) / seconds));
            out.append("\n  outcome      count\n");
            for (Map.Entry<PublicState, Integer> e : byState.entrySet()) {
                out.append(String.format("  %-11s %6d%n", e.getKey().literal(), e.getValue()));
            }
            out.append("\n  sample executions\n");
            described.forEach(out::append);
            out.append(consistent() ? "\n  every execution ended as expected\n"
                    : "\n  UNEXPECTED: some executions did not end as their kind should\n");
            return out.toString();
        }
    }

    private static String option(String[] args, String name, @Nullable String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
