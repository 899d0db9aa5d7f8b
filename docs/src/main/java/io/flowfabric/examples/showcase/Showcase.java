package io.flowfabric.examples.showcase;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.events.CompletionPayload;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.ExecutionSummary;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.flows.CreateFlow;
import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.flows.EdgeGroupSnapshot;
import io.flowfabric.core.flows.GroupDecision;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.policy.Backoff;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.policy.RetryPolicy;
import io.flowfabric.core.state.PublicState;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.core.worker.TaskContext;
import io.flowfabric.core.worker.TaskFailure;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.PostgresServer;
import io.flowfabric.testing.TestDatabase;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The showcase, run by the README's first command: a few hundred standalone executions and one small flow, processed
 * by several {@link WorkerRuntime}s while the completion subscription prints what finishes, live.
 *
 * <p>Standalone executions, four kinds in rotation, plus one an operator cancels:
 * <ul>
 *   <li>{@code email}: succeeds at once;</li>
 *   <li>{@code flaky}: its handler throws on attempt 0, so the attempt fails {@code TRANSIENT} and is retried after a
 *       300 ms backoff; attempt 1 succeeds;</li>
 *   <li>{@code doomed}: fails every attempt; after its 2 retries it ends {@code failed};</li>
 *   <li>{@code report}: created with a 1 s delay, runs when the delay is over.</li>
 * </ul>
 *
 * <p>The flow: a {@code fetch} upstream fans out to {@value #BRANCHES} {@code render} branches that stream progress
 * frames into their attempt's output stream (part 2 crashes on its first attempt and is retried). A {@code merge}
 * downstream fans in with {@code quorum(}{@value #QUORUM}{@code , LET_RUN)}: it is released as soon as
 * {@value #QUORUM} branches have succeeded, typically before the retried branch, which still runs to its end. Its
 * edges pass the branches' results on, so its claim carries those that had succeeded by then.
 *
 * <p>Run: {@code mvn -q -pl docs -am compile exec:java} (embedded PostgreSQL), or add
 * {@code -Dexec.args="--url r2dbc:postgresql://user:pass@host:5432/db"} for an external server.
 * {@code --executions N} sets the standalone count (default 300), {@code --workers W} the number of worker runtimes
 * (default 4, each running up to {@value #SLOTS} handlers at once). Every run uses a namespace of its own, so runs
 * against one database never see each other's executions.
 */
public final class Showcase {

    /** The lane every execution of the showcase is claimed from. */
    public static final String LANE = "showcase";
    /** Render branches of the flow. */
    public static final int BRANCHES = 4;
    /** Render branches that must succeed before the merge is released. */
    public static final int QUORUM = 3;
    /** Handlers one worker runtime runs at once. */
    public static final int SLOTS = 4;
    /** Flow members: the upstream, the render branches and the merge. */
    public static final int FLOW_MEMBERS = BRANCHES + 2;

    private static final int LIVE_LINES = 20;
    private static final Duration RUN_LIMIT = Duration.ofMinutes(2);

    private final FlowFabric engine;
    private final String namespace;
    private final int total;
    private final int workers;
    private final PrintStream out;
    private final ExecutionPolicy retrying = ExecutionPolicy.builder()
            .retry(RetryPolicy.builder().maxRetries(2).backoff(Backoff.fixed(Duration.ofMillis(300))).build())
            .build();

    // Filled while creating; read by the live printer and the summary.
    private final Map<ExecutionId, String> kinds = new ConcurrentHashMap<>();
    private final Map<String, ExecutionId> samples = new ConcurrentHashMap<>();
    private final List<ExecutionId> renderBranches = new CopyOnWriteArrayList<>();
    private final Set<ExecutionId> terminal = ConcurrentHashMap.newKeySet();
    private final AtomicInteger live = new AtomicInteger();
    private final CompletableFuture<Void> allTerminal = new CompletableFuture<>();
    private final CompletableFuture<Void> cancelSeen = new CompletableFuture<>();
    private volatile @Nullable ExecutionId cancelledId;

    Showcase(FlowFabric engine, String namespace, int total, int workers, PrintStream out) {
        this.engine = engine;
        this.namespace = namespace;
        this.total = total;
        this.workers = workers;
        this.out = out;
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
     * {@code null}, printing live completions to standard output, and returns its summary.
     *
     * @param total   standalone executions, at least 2 (one of them is the cancelled one)
     * @param workers worker runtimes, at least 1
     */
    public static Summary run(@Nullable String r2dbcUrl, int total, int workers) {
        if (total < 2 || workers < 1) {
            throw new IllegalArgumentException("need at least 2 executions and 1 worker");
        }
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
                // Room for every handler at once, the 16 concurrent creates, and the engine's own readers.
                .poolSize(2, workers * SLOTS + 24)
                // Retry backoffs and delays are short here; promote them promptly (default every 500 ms).
                .reconcilerInterval("delayed_promoter", Duration.ofMillis(100))
                .build();
        try {
            engine.start().block(Duration.ofMinutes(2));
            String namespace = "showcase-" + UUID.randomUUID().toString().substring(0, 8);
            return new Showcase(engine, namespace, total, workers, System.out).execute(where);
        } finally {
            engine.close();
            if (db != null) {
                db.close();
            }
        }
    }

    private Summary execute(String where) {
        out.printf("%nFlowFabric showcase: %d standalone executions and a flow of %d members, namespace %s%n",
                total, FLOW_MEMBERS, namespace);
        out.println("live completions (from engine.subscriptions().completions(...)):");
        // From now, this run's namespace only. Every terminal transition writes exactly one completion event.
        // Printing is blocking I/O: it runs on boundedElastic, not on the driver thread that emits the events.
        Disposable subscription = engine.subscriptions()
                .completions(SubscribeRequest.builder().namespace(namespace).build())
                .publishOn(Schedulers.boundedElastic())
                .subscribe(this::onCompletion, e -> out.println("  completion subscription ended: " + e));
        List<WorkerRuntime> runtimes = new ArrayList<>();
        try {
            cancelOne();
            long started = System.nanoTime();
            createFlow().then(Flux.range(0, total - 1).flatMap(this::createStandalone, 16).then())
                    .block(Duration.ofMinutes(1));
            long created = System.nanoTime();
            for (int n = 0; n < workers; n++) {
                runtimes.add(worker(n).start());
            }
            boolean finished = await(allTerminal, RUN_LIMIT);
            long done = System.nanoTime();
            if (!finished) {
                out.printf("  gave up waiting after %d s: %d of %d executions ended%n", RUN_LIMIT.toSeconds(),
                        terminal.size(), expectedTerminal());
            } else if (live.get() > LIVE_LINES) {
                out.printf("  ... %d completions received in all%n", live.get());
            }
            return summarize(where, Duration.ofNanos(created - started), Duration.ofNanos(done - created));
        } finally {
            Flux.fromIterable(runtimes).flatMap(r -> r.stop(Duration.ofSeconds(5))).blockLast(Duration.ofSeconds(30));
            subscription.dispose();
        }
    }

    private int expectedTerminal() {
        return total + FLOW_MEMBERS;
    }

    // ------------------------------------------------------------------------------------------- live completions

    private void onCompletion(CompletionPayload completion) {
        int n = live.incrementAndGet();
        ExecutionId id = completion.executionId();
        if (id.equals(cancelledId)) {
            cancelSeen.complete(null);
        }
        if (n <= LIVE_LINES) {
            out.printf("  %3d  %-9s  %-7s  %s%s%n", n, completion.outcome().literal(), kinds.getOrDefault(id, "?"), id,
                    completion.attemptIndex() == null ? "" : "  attempt " + completion.attemptIndex());
        } else if (n % 100 == 0) {
            out.printf("  ... %d completions so far%n", n);
        }
        markTerminal(id);
    }

    private void markTerminal(ExecutionId id) {
        if (terminal.add(id) && terminal.size() >= expectedTerminal()) {
            allTerminal.complete(null);
        }
    }

    // ------------------------------------------------------------------------------------------------- creating

    /**
     * Creates an execution due in ten minutes and cancels it as an operator. It goes first: its completion event
     * arriving on the subscription shows the subscription is reading before any other execution is created.
     */
    private void cancelOne() {
        CreateResult created = engine.executions().createExecution(CreateExecution.builder(LANE)
                        .namespace(namespace).executionKind("email").delayFor(Duration.ofMinutes(10)).build())
                .block(Duration.ofSeconds(30));
        ExecutionId id = created.executionId();
        kinds.put(id, "email");
        samples.put("cancelled", id);
        cancelledId = id;
        engine.operator().cancelExecution(id, "no longer needed", "showcase-operator").block(Duration.ofSeconds(30));
        if (!await(cancelSeen, Duration.ofSeconds(5))) {
            // The subscription took its "now" after this cancel committed: it still sees everything created later.
            markTerminal(id);
        }
    }

    private Mono<Void> createStandalone(int i) {
        String kind = switch (i % 4) {
            case 0 -> "flaky";
            case 1 -> "doomed";
            case 2 -> "report";
            default -> "email";
        };
        CreateExecution.Builder request = CreateExecution.builder(LANE)
                .namespace(namespace)
                .executionKind(kind)
                .input(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), "application/json")
                .priority(kind.equals("email") ? 10 : 0)
                .policy(retrying)
                .idempotencyKey("showcase-" + i);
        if (kind.equals("report")) {
            request.delayFor(Duration.ofSeconds(1));
        }
        return create(request, kind).doOnNext(id -> samples.putIfAbsent(kind, id)).then();
    }

    /**
     * The flow: fetch → render × {@value #BRANCHES} → merge. Members are created with {@code dependsOn}, so each is
     * born blocked on its upstreams (or already released when they have ended); the engine's completion dispatcher
     * resolves the edges and releases them as upstreams complete.
     */
    private Mono<Void> createFlow() {
        return engine.flows().createFlow(CreateFlow.of(namespace, "report-build"))
                .flatMap(createdFlow -> {
                    FlowId flow = createdFlow.flowId();
                    return create(member(flow, "fetch").input("4 parts"), "fetch")
                            .flatMap(fetch -> Flux.range(1, BRANCHES)
                                    .concatMap(part -> {
                                        CreateExecution.Builder branch = member(flow, "render")
                                                .input("part-" + part).dependsOn(fetch);
                                        if (part == 2) {
                                            branch.tag("showcase.crash_first_attempt", "true");
                                        }
                                        return create(branch, "render").doOnNext(renderBranches::add);
                                    })
                                    .collectList()
                                    .flatMap(branches -> {
                                        samples.put("render", branches.get(1));
                                        CreateExecution.Builder merge = member(flow, "merge").input("merge")
                                                .dependsOnPolicy(EdgeGroupPolicy.quorum(QUORUM,
                                                        EdgeGroupPolicy.OnSatisfied.LET_RUN));
                                        // Each edge passes its branch's result on, under the name "part-N".
                                        for (int part = 1; part <= branches.size(); part++) {
                                            merge.dependsOn(new Dependency(branches.get(part - 1), "part-" + part));
                                        }
                                        return create(merge, "merge");
                                    }))
                            .doOnNext(merge -> samples.put("merge", merge));
                })
                .then();
    }

    private CreateExecution.Builder member(FlowId flow, String kind) {
        return CreateExecution.builder(LANE).namespace(namespace).flowId(flow).executionKind(kind).policy(retrying);
    }

    private Mono<ExecutionId> create(CreateExecution.Builder request, String kind) {
        return engine.executions().createExecution(request.build())
                .map(CreateResult::executionId)
                .doOnNext(id -> kinds.put(id, kind));
    }

    // ------------------------------------------------------------------------------------------------- workers

    /** One worker runtime: claims only into free slots, renews leases, turns results and errors into outcomes. */
    private WorkerRuntime worker(int n) {
        return WorkerRuntime.builder(engine)
                .workerId("showcase-worker")
                .workerInstanceId("showcase-worker-" + n)
                .lane(LANE)
                .concurrency(SLOTS)
                .idleWait(Duration.ofSeconds(5))
                .handler("email", ctx -> ctx.progress(100, "sent").thenReturn("sent"))
                .handler("flaky", ctx -> ctx.attempt() == 0
                        ? Mono.error(new IllegalStateException("upstream timed out"))   // TRANSIENT: retried
                        : Mono.just("recovered on attempt " + ctx.attempt()))
                .handler("doomed", ctx -> Mono.error(
                        new TaskFailure("input can never be processed", FailureClass.TRANSIENT)))
                .handler("report", ctx -> Mono.just("report ready"))
                .handler("fetch", ctx -> ctx.append("fetched " + ctx.inputText()).thenReturn(ctx.inputText()))
                .handler("render", this::render)
                .handler("merge", Showcase::merge)
                .build();
    }

    /** A render branch: three progress frames in its attempt's stream; part 2 crashes after two on attempt 0. */
    private Mono<String> render(TaskContext ctx) {
        String part = ctx.inputText();
        boolean crash = ctx.attempt() == 0 && "true".equals(ctx.tags().get("showcase.crash_first_attempt"));
        return ctx.append(part + ": loading input (attempt " + ctx.attempt() + ")")
                .then(ctx.append(part + ": rendering"))
                .then(crash
                        ? Mono.<String>error(new IllegalStateException(part + ": renderer crashed"))
                        : ctx.append(part + ": done").thenReturn("rendered " + part));
    }

    /**
     * The fan-in: the claim carries the results of the branches that had succeeded when the merge was released
     * (data passing), at least {@value #QUORUM} of them.
     */
    private static Mono<String> merge(TaskContext ctx) {
        Map<String, Payload> parts = new TreeMap<>(ctx.execution().dependencyInputs());
        return Mono.just("merged " + parts.size() + " of " + BRANCHES + " parts: "
                + String.join(", ", parts.values().stream().map(Payload::utf8).toList()));
    }

    // ------------------------------------------------------------------------------------------------- summary

    private Summary summarize(String where, Duration createTime, Duration runTime) {
        Map<PublicState, Integer> byState = new EnumMap<>(PublicState.class);
        String cursor = null;
        do {
            Page<ExecutionSummary> page = engine.executions()
                    .listExecutions(ExecutionQuery.byNamespace(namespace), cursor, 1000).block();
            page.items().forEach(s -> byState.merge(s.publicState(), 1, Integer::sum));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        List<String> described = new ArrayList<>();
        for (String kind : List.of("flaky", "doomed", "report", "cancelled")) {
            ExecutionId id = samples.get(kind);
            if (id != null) {
                described.add(describe(kind, id));
            }
        }
        return new Summary(where, namespace, total, workers, byState, Expected.of(total), createTime, runTime,
                live.get(), terminal.size(), described, flowReport());
    }

    private String describe(String label, ExecutionId id) {
        ExecutionSnapshot s = engine.executions().describeExecution(id).block().orElseThrow();
        List<AttemptSnapshot> attempts = engine.executions().listAttempts(id).collectList().block();
        StringBuilder text = new StringBuilder()
                .append(String.format("    %-9s %s%n", label, id))
                .append(String.format("              %s after %d attempt(s), lease epoch %d%s%n",
                        s.publicState().literal(), s.counters().attemptCount(), s.counters().leaseEpoch(),
                        s.lastFailureMessage() == null ? "" : ", last failure \"" + s.lastFailureMessage() + "\""));
        for (AttemptSnapshot a : attempts) {
            text.append(String.format("              attempt %d (%s) %s, ended: %s%n", a.attemptIndex(),
                    a.type().literal(), a.lifecycle().literal(),
                    a.endReason() == null ? "-" : a.endReason().literal()));
        }
        if (s.cancellationReason() != null) {
            text.append(String.format("              cancelled by %s: %s%n", s.cancelledBy(), s.cancellationReason()));
        }
        engine.executions().getExecutionResult(id).block()
                .ifPresent(p -> text.append(String.format("              result: %s%n", p.utf8())));
        return text.toString();
    }

    private @Nullable FlowReport flowReport() {
        ExecutionId merge = samples.get("merge");
        ExecutionId render = samples.get("render");
        if (merge == null || render == null) {
            return null;
        }
        ExecutionSnapshot mergeSnapshot = engine.executions().describeExecution(merge).block().orElseThrow();
        FlowId flow = mergeSnapshot.flow().orElseThrow();
        EdgeGroupSnapshot group = engine.flows().readEdgeGroup(flow, merge).block().orElseThrow();
        List<PublicState> renderStates = Flux.fromIterable(renderBranches)
                .concatMap(id -> engine.executions().readExecutionState(id))
                .map(state -> state.orElseThrow())
                .collectList().block();
        String mergeResult = engine.executions().getExecutionResult(merge).block().map(Payload::utf8).orElse("-");
        List<StreamExcerpt> streams = new ArrayList<>();
        int attempts = engine.executions().describeExecution(render).block().orElseThrow().counters().attemptCount();
        for (int attempt = 0; attempt < attempts; attempt++) {
            StreamFrames frames = engine.streams()
                    .readStream(render, attempt, StreamCursor.START, StreamCursor.END, 100, Visibility.ALL).block();
            streams.add(new StreamExcerpt(attempt, frames.frames().stream().map(StreamExcerpt::line).toList(),
                    frames.closedReason() == null ? "open" : frames.closedReason().literal()));
        }
        return new FlowReport(flow, mergeSnapshot.publicState(), mergeResult, group.policy(), group.decision(),
                renderStates, render, streams);
    }

    // ------------------------------------------------------------------------------------------------- results

    /** The outcome counts the run must end with. */
    public record Expected(int completed, int failed, int cancelled) {

        /** For {@code total} standalone executions: the doomed quarter fails, the operator cancels one. */
        static Expected of(int total) {
            int rotated = total - 1;
            int doomed = (rotated + 2) / 4;
            return new Expected(rotated - doomed + FLOW_MEMBERS, doomed, 1);
        }
    }

    /** One attempt's output stream of the render branch that crashed once. */
    public record StreamExcerpt(int attempt, List<String> frames, String closedReason) {

        static String line(StreamFrame frame) {
            return frame.id() + "  " + frame.frameType() + "  " + frame.utf8();
        }
    }

    /**
     * What happened to the flow: the merge's state, result, group policy and decision, the render branches' states,
     * and the streams of the render branch that crashed on its first attempt.
     */
    public record FlowReport(FlowId flowId, PublicState mergeState, String mergeResult, EdgeGroupPolicy policy,
                             GroupDecision decision, List<PublicState> renderStates, ExecutionId streamedBranch,
                             List<StreamExcerpt> streams) {

        /** The merge completed on a satisfied quorum, every branch completed, every attempt streamed frames. */
        public boolean asExpected() {
            return mergeState == PublicState.COMPLETED && decision == GroupDecision.SATISFIED
                    && renderStates.size() == BRANCHES
                    && renderStates.stream().allMatch(s -> s == PublicState.COMPLETED)
                    && streams.size() == 2 && streams.stream().noneMatch(s -> s.frames().isEmpty());
        }
    }

    /** What the showcase did; {@link #consistent()} checks that every execution ended as its kind should. */
    public record Summary(String where, String namespace, int total, int workers, Map<PublicState, Integer> byState,
                          Expected expected, Duration createTime, Duration runTime, int liveCompletions,
                          int terminalSeen, List<String> described, @Nullable FlowReport flow) {

        public int count(PublicState state) {
            return byState.getOrDefault(state, 0);
        }

        /** Executions in all: the standalone ones and the flow's members. */
        public int executions() {
            return total + FLOW_MEMBERS;
        }

        /**
         * Every execution is terminal with the expected outcome counts, every one of them was seen ending (on the
         * subscription, or before it started reading), and the flow ended as designed.
         */
        public boolean consistent() {
            return count(PublicState.COMPLETED) == expected.completed() && count(PublicState.FAILED) == expected.failed()
                    && count(PublicState.CANCELLED) == expected.cancelled()
                    && expected.completed() + expected.failed() + expected.cancelled() == executions()
                    && terminalSeen == executions()
                    && flow != null && flow.asExpected();
        }

        public String render() {
            double seconds = runTime.toNanos() / 1e9;
            StringBuilder out = new StringBuilder();
            out.append("\nFlowFabric showcase on ").append(where).append('\n');
            out.append(String.format("  %d executions (%d standalone, %d in one flow) in namespace %s%n", executions(),
                    total, FLOW_MEMBERS, namespace));
            out.append(String.format("  created in %d ms, then run by %d workers x %d slots in %.2f s "
                            + "(%.0f executions/s)%n", createTime.toMillis(), workers, SLOTS, seconds,
                    executions() / seconds));
            out.append(String.format("  %d completion events received live from the subscription%n", liveCompletions));
            out.append("\n  outcome      count   expected\n");
            for (Map.Entry<PublicState, Integer> e : byState.entrySet()) {
                String want = switch (e.getKey()) {
                    case COMPLETED -> Integer.toString(expected.completed());
                    case FAILED -> Integer.toString(expected.failed());
                    case CANCELLED -> Integer.toString(expected.cancelled());
                    default -> "0";
                };
                out.append(String.format("  %-11s %6d %10s%n", e.getKey().literal(), e.getValue(), want));
            }
            if (flow != null) {
                out.append(String.format("%n  flow %s: fetch -> %d x render -> merge%n", flow.flowId(), BRANCHES));
                out.append(String.format("    render    %s%n", flow.renderStates().stream().map(PublicState::literal)
                        .toList()));
                out.append(String.format("    merge     %s (group %s(%d, %s): %s): %s%n", flow.mergeState().literal(),
                        flow.policy().kind(), flow.policy().k(), flow.policy().onSatisfied().literal(),
                        flow.decision().literal(), flow.mergeResult()));
                out.append(String.format("    output stream of render branch %s:%n", flow.streamedBranch()));
                for (StreamExcerpt s : flow.streams()) {
                    out.append(String.format("      attempt %d (closed: %s)%n", s.attempt(), s.closedReason()));
                    s.frames().forEach(f -> out.append("        ").append(f).append('\n'));
                }
            }
            out.append("\n  sample executions\n");
            described.forEach(out::append);
            out.append(consistent() ? "\n  every execution ended as expected\n"
                    : "\n  UNEXPECTED: some executions did not end as their kind should\n");
            return out.toString();
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static boolean await(CompletableFuture<Void> future, Duration limit) {
        try {
            future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
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
