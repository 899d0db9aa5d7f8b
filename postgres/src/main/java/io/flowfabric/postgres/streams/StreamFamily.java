package io.flowfabric.postgres.streams;

import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.postgres.executions.LeaseFenceCheck;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.reconcile.ReconcilerJob;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Internal factory of the stream family (spec 05): builds the {@link StreamOperations} the engine hands out and the
 * {@code stream_ttl} reconciler job (spec 08 §2). One instance per engine; the read gate it creates is shared by
 * every read, tail and follow of that engine.
 */
public final class StreamFamily {

    /** Default {@code maxConcurrentStreamReads} (spec 09 §6). */
    public static final int DEFAULT_MAX_CONCURRENT_READS = 64;
    /** The poll fallback of parked tails and follows (spec 09 §6). */
    static final Duration POLL_FALLBACK = Duration.ofSeconds(1);
    /** Default {@code stream_ttl} batch (spec 08 §2). */
    public static final int DEFAULT_TTL_BATCH = 5000;

    private final PgStreamOperations operations;
    private final StreamTtlJob ttlJob;

    /** With the default read concurrency limit of {@value #DEFAULT_MAX_CONCURRENT_READS}. */
    public StreamFamily(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                        LeaseFenceCheck fences) {
        this(db, sql, channels, hub, fences, DEFAULT_MAX_CONCURRENT_READS);
    }

    /**
     * @param maxConcurrentStreamReads frame queries in flight at once per engine (≥ 1); further reads queue
     * @throws IllegalArgumentException when {@code maxConcurrentStreamReads} is below 1
     */
    public StreamFamily(Database db, SqlTemplate sql, Channels channels, @Nullable NotificationHub hub,
                        LeaseFenceCheck fences, int maxConcurrentStreamReads) {
        Objects.requireNonNull(db, "db");
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(channels, "channels");
        Objects.requireNonNull(fences, "fences");
        ReadGate gate = new ReadGate(maxConcurrentStreamReads);
        this.operations = new PgStreamOperations(new StreamAppender(db, sql, channels, fences),
                new StreamReader(db, sql, gate), new StreamWatch(db, sql, POLL_FALLBACK), channels, hub);
        this.ttlJob = new StreamTtlJob(db, sql, DEFAULT_TTL_BATCH);
    }

    /** The stream operations. */
    public StreamOperations streams() {
        return operations;
    }

    /** The {@code stream_ttl} job, for the engine's reconciler supervisor. */
    public ReconcilerJob ttlJob() {
        return ttlJob;
    }
}
