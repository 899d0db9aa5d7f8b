package io.flowfabric.postgres.reconcile;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.spi.ReconcilerOperations;
import io.flowfabric.postgres.metrics.EngineMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs every job as a {@code Flux.interval} pipeline (spec 08 §1): a random initial delay within one interval spreads
 * nodes apart; {@code onBackpressureDrop()} ahead of a {@code concatMap} means a tick never overlaps the previous one
 * and ticks missed meanwhile are dropped, never queued; a full batch runs again at once, up to
 * {@value #MAX_BATCHES_PER_TICK} batches; a failed tick is logged and the next tick runs as usual. Also the manual
 * {@link #tick(String)} of {@link ReconcilerOperations}.
 */
public final class ReconcilerSupervisor implements ReconcilerOperations {

    static final int MAX_BATCHES_PER_TICK = 10;
    private static final Logger LOG = LoggerFactory.getLogger(ReconcilerSupervisor.class);

    private final Map<String, ReconcilerJob> jobs = new LinkedHashMap<>();
    private final Map<String, Duration> intervals;
    private final Disposable.Composite running = Disposables.composite();
    private final EngineMetrics metrics;
    private final Map<String, TickReport> lastTicks = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param intervals per-job interval overrides; a job without one uses its default
     */
    public ReconcilerSupervisor(List<ReconcilerJob> jobs, Map<String, Duration> intervals, EngineMetrics metrics) {
        jobs.forEach(job -> this.jobs.put(job.name(), job));
        this.intervals = Map.copyOf(intervals);
        this.metrics = metrics;
    }

    @Override
    public List<String> jobs() {
        return new ArrayList<>(jobs.keySet());
    }

    @Override
    public Mono<TickReport> tick(String job) {
        return Mono.defer(() -> {
            ReconcilerJob j = jobs.get(job);
            if (j == null) {
                return Mono.error(new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "unknown reconciler job " + job + "; known: " + jobs.keySet()));
            }
            return runTick(j);
        });
    }

    private Mono<TickReport> runTick(ReconcilerJob job) {
        long started = System.nanoTime();
        return job.runBatch().expand(report -> report.scanned() >= job.batchSize()
                        ? job.runBatch() : Mono.empty())
                .take(MAX_BATCHES_PER_TICK)
                .reduce(TickReport::plus)
                .doOnNext(r -> lastTicks.put(job.name(), r))
                .doOnNext(r -> {
                    if (r.lag() != null) {
                        metrics.reconcilerLag(job.name(), r.lag().toMillis());
                    }
                })
                .doOnNext(r -> metrics.reconcilerTick(job.name(), r.errors() > 0 ? "error" : "ok",
                        System.nanoTime() - started, r.acted(), r.skipped(), r.errors()))
                .doOnError(e -> metrics.reconcilerTick(job.name(), "error", System.nanoTime() - started, 0, 0, 1));
    }

    @Override
    public Map<String, TickReport> status() {
        return Map.copyOf(lastTicks);
    }

    /** Schedules every job; idempotent only in the sense that calling it twice schedules twice, so call once. */
    public void start() {
        for (ReconcilerJob job : jobs.values()) {
            Duration period = intervals.getOrDefault(job.name(), job.defaultInterval());
            Duration initial = Duration.ofMillis(ThreadLocalRandom.current().nextLong(period.toMillis() + 1));
            running.add(Flux.interval(initial, period)
                    .onBackpressureDrop()
                    .concatMap(t -> runTick(job)
                            .doOnNext(report -> {
                                if (report.acted() > 0 || report.errors() > 0) {
                                    LOG.debug("reconciler {}: {}", job.name(), report);
                                }
                            })
                            .onErrorResume(e -> {
                                LOG.warn("reconciler {} tick failed; retrying next tick: {}", job.name(), e.toString());
                                return Mono.empty();
                            }), 1)
                    .subscribe());
        }
    }

    /** Stops scheduling; a batch in flight is cancelled and its transaction rolled back. */
    public void stop() {
        running.dispose();
    }
}
