package io.flowfabric.core.spi;

import io.flowfabric.core.reconcile.TickReport;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Manual control of the background jobs. The engine runs every job on its own schedule; {@link #tick(String)} runs
 * one more tick now (several nodes, and a scheduled tick, may run the same job concurrently: discovery skips rows
 * locked by others, so no row is handled twice).
 *
 * @since 0.1
 */
public interface ReconcilerOperations {

    /** The names of the jobs this engine runs, e.g. {@code lease_expiry}, {@code delayed_promoter}. */
    List<String> jobs();

    /**
     * Runs one tick of {@code job} now: batches until a batch is not full (at most 10 batches).
     *
     * @return a cold {@code Mono} emitting the tick's report; an unknown job is {@code ValidationException}
     */
    Mono<TickReport> tick(String job);

    /**
     * The last completed tick of each job that has ticked on this engine (scheduled or manual), by job name. Does not
     * touch the database.
     */
    java.util.Map<String, TickReport> status();
}
