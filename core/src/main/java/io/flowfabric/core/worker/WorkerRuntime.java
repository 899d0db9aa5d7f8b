package io.flowfabric.core.worker;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.FailureReason;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.policy.FailureClass;
import io.flowfabric.core.spi.WorkerOperations;
import io.flowfabric.core.validation.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * A reactive worker: claims executions of its lanes only while it has free slots (one claim transaction for up to
 * the free slot count), runs the handler registered for each execution's kind, renews the lease every
 * {@code renewEvery} while the handler runs, completes the execution with the handler's result or fails it with the
 * handler's error (the execution's retry policy decides what happens next), and never runs more than
 * {@code concurrency} handlers at once.
 *
 * <p>While idle it parks in a claim with {@code maxWait}: the backend wakes it on a ready notification (no tight
 * polling, no connection held). While busy it gathers freed slots for up to {@value #COALESCE_MS} ms, or until half of
 * them are free, before its next claim: a claim for one execution costs the database nearly what a claim for sixteen
 * does, so claiming one slot at a time would cap a busy runtime's throughput at its claim rate. An idle runtime (no
 * handler running) claims at once. If the lease is lost while a handler runs (expired, revoked, cancelled), the handler
 * is cancelled and nothing is written for it.
 *
 * <p>{@link #stop(Duration)} stops claiming (an idle claim's wait ends at once; a claim statement already sent runs
 * to its end and what it claimed is run), lets running handlers finish within the grace period and then cancels what
 * is left; {@link #kill()} cancels everything at once, as a crash would (the leases then expire and another
 * worker reclaims the executions). Thread-safe.
 *
 * @since 0.1
 */
public final class WorkerRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerRuntime.class);
    private static final int MAX_CLAIM_BATCH = 100;
    /** How long a busy runtime waits for more freed slots before claiming for the ones it has. */
    static final long COALESCE_MS = 10;
    private static final int MESSAGE_BYTES = Limits.MAX_FAILURE_MESSAGE_BYTES;
    private static final int DETAIL_BYTES = Limits.MAX_FAILURE_DETAIL_BYTES;
    private static final int CATEGORY_BYTES = Limits.MAX_FAILURE_CATEGORY_BYTES;

    private final WorkerOperations workers;
    private final TaskContext.@Nullable StreamAppender streams;
    private final ClaimRequest request;
    private final int concurrency;
    private final Duration leaseTtl;
    private final Duration renewEvery;
    private final Map<String, TaskHandler> handlers;
    private final @Nullable TaskHandler defaultHandler;
    private final @Nullable Scheduler scheduler;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxObserved = new AtomicInteger();
    private final Sinks.Many<Integer> slots = Sinks.many().replay().latest();
    private final Sinks.Empty<Void> stopping = Sinks.empty();
    private final Sinks.Empty<Void> loopEnded = Sinks.empty();
    private final Disposable.Composite tasks = Disposables.composite();
    private volatile @Nullable Disposable loop;
    private volatile boolean running;

    private WorkerRuntime(Builder b) {
        this.workers = b.workers;
        this.streams = b.streams;
        this.concurrency = b.concurrency;
        this.leaseTtl = b.leaseTtl;
        this.renewEvery = b.renewEvery != null ? b.renewEvery : b.leaseTtl.dividedBy(3);
        this.handlers = Map.copyOf(b.handlers);
        this.defaultHandler = b.defaultHandler;
        this.scheduler = b.scheduler;
        this.request = ClaimRequest.builder(b.workerId, b.workerInstanceId)
                .lanes(new ArrayList<>(b.lanes))
                .capabilities(b.capabilities)
                .leaseTtl(b.leaseTtl)
                .maxWait(b.idleWait)
                .build();
        emitSlot();
    }

    /** A builder for a runtime on {@code engine}; its streams are used for {@link TaskContext#append}. */
    public static Builder builder(FlowFabric engine) {
        return new Builder(engine.workers()).streams((fence, frameType, payload, encoding) -> engine.streams()
                .appendFrame(fence, io.flowfabric.core.streams.AppendFrame.builder(
                                io.flowfabric.core.streams.FrameMode.DURABLE, payload)
                        .frameType(frameType).encoding(encoding).build())
                .then());
    }

    /** A builder for a runtime on any backend's worker operations. */
    public static Builder builder(WorkerOperations workers) {
        return new Builder(workers);
    }

    /** Starts claiming. Idempotent. */
    public WorkerRuntime start() {
        synchronized (this) {
            if (running || loop != null) {
                return this;
            }
            running = true;
            // The loop is never cancelled by stop(): a claim already sent may commit, and its executions must be
            // run rather than left leased to nobody. Stopping ends the loop after the current round.
            loop = Mono.defer(this::claimRound)
                    .repeat(() -> running)
                    .doFinally(signal -> loopEnded.tryEmitEmpty())
                    .subscribe(v -> { }, e -> LOG.error("worker {} claim loop ended: {}", request.workerInstanceId(),
                            e.toString()));
        }
        return this;
    }

    /** Handlers running now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The most handlers that ever ran at once (never above {@code concurrency}). */
    public int maxConcurrentObserved() {
        return maxObserved.get();
    }

    public String workerInstanceId() {
        return Objects.requireNonNull(request.workerInstanceId());
    }

    private Mono<Void> claimRound() {
        return waitForSlot().then(Mono.defer(() -> {
            int free = Math.min(concurrency - inFlight.get(), MAX_CLAIM_BATCH);
            if (free <= 0 || !running) {
                return Mono.empty();
            }
            return workers.claimBatch(request, free, stopping.asMono())
                    .doOnNext(this::launch)
                    .then()
                    .onErrorResume(e -> {
                        LOG.warn("worker {} claim failed, retrying in 1 s: {}", request.workerInstanceId(),
                                e.toString());
                        return Mono.delay(Duration.ofSeconds(1)).then();
                    });
        }));
    }

    private Mono<Void> waitForSlot() {
        int half = Math.max(1, concurrency / 2);
        return slots.asFlux().filter(x -> inFlight.get() < concurrency || !running).next()
                .then(Mono.defer(() -> inFlight.get() == 0 || concurrency - inFlight.get() >= half
                        ? Mono.<Void>empty()
                        : slots.asFlux().filter(x -> concurrency - inFlight.get() >= half || !running).next()
                                .then()
                                .timeout(Duration.ofMillis(COALESCE_MS), Mono.empty())));
    }

    private void emitSlot() {
        synchronized (slots) {
            slots.tryEmitNext(inFlight.get());
        }
    }

    private sealed interface Outcome {
        record Done(@Nullable Object value) implements Outcome {
        }

        record Failed(Throwable error) implements Outcome {
        }

        record LeaseLost(Throwable error) implements Outcome {
        }
    }

    private void launch(ClaimedExecution claimed) {
        int now = inFlight.incrementAndGet();
        maxObserved.accumulateAndGet(now, Math::max);
        TaskHandler handler = handlers.getOrDefault(claimed.executionKind(), defaultHandler);
        TaskContext context = new TaskContext(claimed, workers, streams);
        Mono<Outcome> work = Mono.defer(() -> handler == null
                        ? Mono.error(TaskFailure.permanent("no handler for execution kind " + claimed.executionKind()))
                        : handler.handle(context))
                .map(v -> (Outcome) new Outcome.Done(v))
                .defaultIfEmpty(new Outcome.Done(null))
                .onErrorResume(e -> Mono.just(new Outcome.Failed(e)));
        if (scheduler != null) {
            work = work.subscribeOn(scheduler);
        }
        // One renewal at a time, each renewEvery after the previous one finished (a slow renewal must not pile up
        // ticks). Only a lease-state answer means the lease is gone; a transport error is retried next period.
        Mono<Outcome> leaseLost = Mono.delay(renewEvery)
                .then(workers.renew(claimed.fence(), leaseTtl)
                        .onErrorResume(e -> !(e instanceof StateException || e instanceof NotFoundException),
                                e -> Mono.empty()))
                .repeat()
                .then(Mono.<Outcome>never())
                .onErrorResume(e -> Mono.just(new Outcome.LeaseLost(e)));
        Disposable[] self = new Disposable[1];
        Disposable task = Mono.firstWithSignal(work, leaseLost)
                .flatMap(outcome -> finish(claimed, outcome)
                        .onErrorResume(ValidationException.class, rejected -> workers.fail(claimed.fence(),
                                new FailureReason("the engine rejected the handler's outcome: "
                                        + rejected.kind(), null, null), FailureClass.PERMANENT).then()))
                .onErrorResume(e -> {
                    LOG.warn("worker {} could not record the outcome of {}: {}", request.workerInstanceId(),
                            claimed.executionId(), e.toString());
                    return Mono.empty();
                })
                .doFinally(signal -> {
                    if (self[0] != null) {
                        tasks.remove(self[0]);
                    }
                    inFlight.decrementAndGet();
                    emitSlot();
                })
                .subscribe();
        self[0] = task;
        if (!task.isDisposed()) {
            tasks.add(task);
        }
    }

    private Mono<Void> finish(ClaimedExecution claimed, Outcome outcome) {
        if (outcome instanceof Outcome.LeaseLost lost) {
            LOG.info("worker {} lost the lease on {} while running it ({}); its handler was cancelled",
                    request.workerInstanceId(), claimed.executionId(), lost.error().toString());
            return Mono.empty();
        }
        if (outcome instanceof Outcome.Failed failed) {
            Throwable e = failed.error();
            FailureReason reason;
            FailureClass cls;
            if (e instanceof TaskFailure tf) {
                reason = new FailureReason(clip(tf.getMessage(), MESSAGE_BYTES), clip(tf.detail(), DETAIL_BYTES),
                        clip(tf.category(), CATEGORY_BYTES));
                cls = tf.failureClass();
            } else {
                reason = new FailureReason(clip(e.toString(), MESSAGE_BYTES), null, null);
                cls = FailureClass.TRANSIENT;
            }
            return workers.fail(claimed.fence(), reason, cls).then();
        }
        Object value = ((Outcome.Done) outcome).value();
        byte[] bytes;
        String encoding;
        if (value == null) {
            return workers.complete(claimed.fence(), null, null).then();
        } else if (value instanceof byte[] b) {
            bytes = b;
            encoding = "binary";
        } else if (value instanceof Payload p) {
            bytes = p.bytes();
            encoding = p.encoding();
        } else {
            bytes = String.valueOf(value).getBytes(StandardCharsets.UTF_8);
            encoding = "text/plain";
        }
        return workers.complete(claimed.fence(), bytes, encoding).then();
    }

    /**
     * Fits a failure text to the engine's byte limit: unpaired surrogates become U+FFFD and the text is cut on a code
     * point boundary, so the engine never rejects the failure (which would leave the execution leased until expiry).
     */
    static @Nullable String clip(@Nullable String s, int maxBytes) {
        if (s == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), maxBytes));
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isSurrogate((char) cp)) {
                cp = 0xFFFD;
            }
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > maxBytes) {
                break;
            }
            out.appendCodePoint(cp);
            bytes += size;
            i += Character.charCount(s.codePointAt(i));
        }
        return out.toString();
    }

    /**
     * Stops claiming, waits up to {@code grace} for running handlers to finish (their results are recorded), then
     * cancels any still running. Completes when the runtime holds nothing.
     */
    public Mono<Void> stop(Duration grace) {
        return Mono.defer(() -> {
            running = false;
            stopping.tryEmitEmpty();
            emitSlot();
            Mono<Void> loopDone = loop == null ? Mono.empty() : loopEnded.asMono();
            return loopDone
                    .then(slots.asFlux().filter(n -> inFlight.get() == 0).next().then())
                    .timeout(grace, Mono.fromRunnable(this::kill))
                    .then(Mono.fromRunnable(tasks::dispose));
        });
    }

    /** Cancels everything at once without recording outcomes, as a crash would. */
    public void kill() {
        running = false;
        stopping.tryEmitEmpty();
        Disposable l = loop;
        if (l != null) {
            l.dispose();
        }
        tasks.dispose();
    }

    /** Blocking {@link #stop(Duration)} with a 30 s grace; never call it on a reactive thread. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(30)).block(Duration.ofSeconds(60));
    }

    /** Configures a runtime; {@link #build()} validates. */
    public static final class Builder {
        private final WorkerOperations workers;
        private TaskContext.@Nullable StreamAppender streams;
        private @Nullable String workerId;
        private @Nullable String workerInstanceId;
        private final Set<String> lanes = new LinkedHashSet<>();
        private final Set<String> capabilities = new LinkedHashSet<>();
        private int concurrency = 4;
        private Duration leaseTtl = Duration.ofSeconds(30);
        private @Nullable Duration renewEvery;
        private Duration idleWait = Duration.ofSeconds(5);
        private final Map<String, TaskHandler> handlers = new HashMap<>();
        private @Nullable TaskHandler defaultHandler;
        private @Nullable Scheduler scheduler;

        private Builder(WorkerOperations workers) {
            this.workers = Objects.requireNonNull(workers, "workers");
        }

        /** The worker's logical id (required); instances of one worker share it. */
        public Builder workerId(String id) { this.workerId = id; return this; }
        /** This instance's id (default: the worker id plus a random suffix). */
        public Builder workerInstanceId(String id) { this.workerInstanceId = id; return this; }
        public Builder lane(String lane) { this.lanes.add(lane); return this; }
        public Builder lanes(List<String> lanes) { this.lanes.addAll(lanes); return this; }
        public Builder capability(String token) { this.capabilities.add(token); return this; }
        /** The most handlers running at once (default 4, 1..1000). */
        public Builder concurrency(int n) { this.concurrency = n; return this; }
        /** The lease TTL requested on claim and renew (default 30 s). */
        public Builder leaseTtl(Duration ttl) { this.leaseTtl = Objects.requireNonNull(ttl); return this; }
        /** How often running leases are renewed (default a third of the TTL). */
        public Builder renewEvery(Duration every) { this.renewEvery = Objects.requireNonNull(every); return this; }
        /**
         * How long one idle claim parks waiting for a wake-up before it looks again (default 5 s, at most 5 min). A
         * stop ends the wait at once (on backends that support it, as PostgreSQL does).
         */
        public Builder idleWait(Duration wait) { this.idleWait = Objects.requireNonNull(wait); return this; }
        /** The handler for executions of {@code kind}. */
        public Builder handler(String kind, TaskHandler handler) {
            this.handlers.put(Objects.requireNonNull(kind), Objects.requireNonNull(handler));
            return this;
        }
        /** The handler for kinds without their own; without one such executions fail as PERMANENT. */
        public Builder defaultHandler(TaskHandler handler) { this.defaultHandler = handler; return this; }
        /** Where handlers run; give one (e.g. boundedElastic) for handlers that block. */
        public Builder scheduler(Scheduler scheduler) { this.scheduler = scheduler; return this; }
        /** How handlers append to their stream (the engine's streams when built from an engine that has them). */
        public Builder streams(TaskContext.StreamAppender appender) { this.streams = appender; return this; }

        public WorkerRuntime build() {
            if (workerId == null || workerId.isEmpty()) {
                throw new IllegalArgumentException("workerId is required");
            }
            if (lanes.isEmpty()) {
                throw new IllegalArgumentException("at least one lane is required");
            }
            if (concurrency < 1 || concurrency > 1000) {
                throw new IllegalArgumentException("concurrency must be 1..1000");
            }
            if (renewEvery != null && renewEvery.compareTo(leaseTtl) >= 0) {
                throw new IllegalArgumentException("renewEvery must be shorter than the lease TTL");
            }
            if (workerInstanceId == null) {
                workerInstanceId = workerId + "-" + UUID.randomUUID().toString().substring(0, 8);
            }
            return new WorkerRuntime(this);
        }
    }
}
