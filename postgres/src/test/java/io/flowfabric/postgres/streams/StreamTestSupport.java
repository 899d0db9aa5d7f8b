package io.flowfabric.postgres.streams;

import static io.flowfabric.postgres.EngineFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.ClaimRequest;
import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.reconcile.TickReport;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Helpers of the stream integration tests: engines with their own {@code application_name}, a claimed execution to
 * append as, and plain-SQL views of the stream tables (never through the engine).
 */
final class StreamTestSupport {

    /** Upper bound for any single blocking call in these tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private StreamTestSupport() {
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A started engine whose pool connections are named {@code appName}. */
    static PostgresEngine engine(TestDatabase db, TestClock clock, String appName,
                                 Consumer<PostgresEngine.Builder> more) {
        return EngineFixture.start(db, clock, b -> {
            b.applicationName(appName);
            more.accept(b);
        });
    }

    static StreamOperations streams(PostgresEngine engine) {
        return engine.streams();
    }

    /** One tick of the engine's {@code stream_ttl} job. */
    static Mono<TickReport> tickTtl(PostgresEngine engine) {
        return engine.reconcilers().tick("stream_ttl");
    }

    /**
     * Creates an execution in a fresh lane and claims it: the returned claim holds attempt 0's lease, long enough
     * (10 min) for the heaviest scenario on a loaded machine.
     */
    static ClaimedExecution createAndClaim(PostgresEngine engine, @Nullable ExecutionPolicy policy) {
        return createAndClaim(engine, policy, Duration.ofMinutes(10));
    }

    static ClaimedExecution createAndClaim(PostgresEngine engine, @Nullable ExecutionPolicy policy,
                                           Duration leaseTtl) {
        String lane = unique("streams");
        CreateResult created = await(engine.executions()
                .createExecution(CreateExecution.builder(lane).policy(policy).build()));
        assertThat(created).isInstanceOf(CreateResult.Created.class);
        ClaimedExecution claimed = await(engine.workers().claim(ClaimRequest.builder("w", "w-instance").lane(lane)
                .leaseTtl(leaseTtl).build()));
        assertThat(claimed).as("claim of lane %s", lane).isNotNull();
        return claimed;
    }

    /** Claims the next claimable execution of {@code lane} (asserting one was claimed). */
    static ClaimedExecution claim(PostgresEngine engine, String lane) {
        ClaimedExecution claimed = await(engine.workers().claim(ClaimRequest.builder("w", "w-instance").lane(lane)
                .build()));
        assertThat(claimed).as("claim of lane %s", lane).isNotNull();
        return claimed;
    }

    static StreamFrames readAll(StreamOperations streams, ExecutionId id, int attempt) {
        return await(streams.readStream(id, attempt, StreamCursor.START, StreamCursor.END, 10_000, Visibility.ALL));
    }

    /** A fence for the same attempt with another lease id: the shape of a stale or forged handle. */
    static LeaseFence forged(LeaseFence fence) {
        return new LeaseFence(fence.executionId(), fence.attemptIndex(), fence.leaseEpoch(),
                io.flowfabric.core.id.LeaseId.random());
    }

    // ------------------------------------------------------------------------------------------ plain SQL

    static Map<String, @Nullable Object> meta(TestDatabase db, ExecutionId id, int attempt) {
        List<Map<String, @Nullable Object>> rows = db.queryRows("""
                SELECT next_seq, last_ts_ms, frame_count, best_effort_count, ema_rate_hz, last_best_effort_ts_ms,
                       maxlen_applied
                FROM flowfabric.ff_stream_meta WHERE partition_key = ? AND execution_id = ? AND attempt_index = ?""",
                (short) id.partition(), id.uuid(), attempt);
        assertThat(rows).as("meta rows").hasSize(1);
        return rows.get(0);
    }

    static long frames(TestDatabase db, ExecutionId id, int attempt, @Nullable String mode) {
        return db.queryLong("SELECT count(*) FROM flowfabric.ff_stream_frame WHERE partition_key = ?"
                + " AND execution_id = ? AND attempt_index = ?" + (mode == null ? "" : " AND mode = '" + mode + "'"),
                (short) id.partition(), id.uuid(), attempt);
    }

    /** Row counts and a content fingerprint of every stream table, for "nothing written" assertions. */
    static String streamTables(TestDatabase db) {
        return String.valueOf(db.queryValue("""
                SELECT (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM flowfabric.ff_stream_meta t)
                    || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM flowfabric.ff_stream_frame t)
                    || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM flowfabric.ff_stream_summary t)
                """).orElseThrow());
    }
}
