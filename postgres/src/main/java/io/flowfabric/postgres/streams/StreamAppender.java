package io.flowfabric.postgres.streams;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.AppendOutcome;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.FrameMode;
import io.flowfabric.core.streams.JsonMergePatch;
import io.flowfabric.core.streams.SummaryDocument;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import io.flowfabric.postgres.executions.ExecRow;
import io.flowfabric.postgres.executions.LeaseFenceCheck;
import io.flowfabric.postgres.sql.Bind;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.flowfabric.postgres.sql.Tx;
import io.r2dbc.spi.Readable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The append unit of spec 05 §3, one RC transaction for one or more frames:
 *
 * <ol>
 *   <li>the fence check locks the execution row; if it fails and the fenced attempt has ended, the stream is closed
 *       ({@code STREAM_CLOSED}), else the fence error stands;</li>
 *   <li>the policy's payload limit is applied;</li>
 *   <li>per frame, one statement allocates (ts, seq) with an insert-or-update of the meta row (locked until commit, so
 *       appends to one stream commit in seq order), counts the frame and inserts it;</li>
 *   <li>summary frames lock the summary row and store the merged document; best-effort frames update the rate
 *       estimate and, past the slack, trim with one indexed range delete;</li>
 *   <li>the frame-count limit is checked on the retained count, and the stream's channel is notified at commit.</li>
 * </ol>
 *
 * Any failure rolls the whole unit back, so a rejected append writes nothing.
 */
final class StreamAppender {

    private static final String ATTEMPT_ENDED = """
            SELECT ended_at_ms FROM {s}.ff_attempt
            WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3""";

    private static final String ALLOCATE_AND_INSERT = """
            WITH alloc AS (
              INSERT INTO {s}.ff_stream_meta AS m (partition_key, execution_id, attempt_index, next_seq, last_ts_ms,
                                                   frame_count, best_effort_count)
              VALUES ($1, $2, $3, 2, {s}.now_ms(), 1, $4)
              ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE
              SET next_seq = m.next_seq + 1,
                  last_ts_ms = greatest(m.last_ts_ms, {s}.now_ms()),
                  frame_count = m.frame_count + 1,
                  best_effort_count = m.best_effort_count + $4
              RETURNING m.next_seq - 1 AS seq, m.last_ts_ms AS ts_ms, m.frame_count, m.best_effort_count,
                        m.ema_rate_hz, m.last_best_effort_ts_ms
            ), frame AS (
              INSERT INTO {s}.ff_stream_frame (partition_key, execution_id, attempt_index, seq, ts_ms, mode,
                                              frame_type, encoding, payload, correlation_id, expires_at_ms)
              SELECT $1, $2, $3, alloc.seq, alloc.ts_ms, $5, $6, $7, $8, $9,
                     CASE WHEN $10::bigint IS NULL THEN NULL ELSE alloc.ts_ms + $10::bigint END
              FROM alloc
            )
            SELECT seq, ts_ms, frame_count, best_effort_count, ema_rate_hz, last_best_effort_ts_ms FROM alloc""";

    private static final String RATE_UPDATE = """
            UPDATE {s}.ff_stream_meta
            SET ema_rate_hz = $4, last_best_effort_ts_ms = $5, maxlen_applied = $6
            WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3
            RETURNING frame_count""";

    /** The (K+1)-th newest best-effort frame through the partial index, then one range delete up to it. */
    private static final String RATE_UPDATE_AND_TRIM = """
            WITH cutoff AS (
              SELECT seq FROM {s}.ff_stream_frame
              WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3 AND mode = 'best_effort'
              ORDER BY seq DESC
              OFFSET $6 LIMIT 1
            ), trimmed AS (
              DELETE FROM {s}.ff_stream_frame f USING cutoff
              WHERE f.partition_key = $1 AND f.execution_id = $2 AND f.attempt_index = $3
                AND f.mode = 'best_effort' AND f.seq <= cutoff.seq
              RETURNING f.seq
            ), removed AS (
              SELECT count(*) AS n FROM trimmed
            )
            UPDATE {s}.ff_stream_meta m
            SET ema_rate_hz = $4, last_best_effort_ts_ms = $5, maxlen_applied = $6,
                best_effort_count = m.best_effort_count - removed.n, frame_count = m.frame_count - removed.n
            FROM removed
            WHERE m.partition_key = $1 AND m.execution_id = $2 AND m.attempt_index = $3
            RETURNING m.frame_count""";

    private static final String LOCK_SUMMARY = """
            SELECT document::text AS document FROM {s}.ff_stream_summary
            WHERE partition_key = $1 AND execution_id = $2 AND attempt_index = $3
            FOR UPDATE""";

    private static final String STORE_SUMMARY = """
            INSERT INTO {s}.ff_stream_summary AS s (partition_key, execution_id, attempt_index, document, version,
                                                    patch_kind, first_applied_ms, last_updated_ms)
            VALUES ($1, $2, $3, $4::jsonb, 1, $5, {s}.now_ms(), {s}.now_ms())
            ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE
            SET document = EXCLUDED.document, version = s.version + 1, last_updated_ms = {s}.now_ms()
            RETURNING s.version""";

    private final Database db;
    private final Channels channels;
    private final LeaseFenceCheck fences;
    private final String attemptEndedSql;
    private final String allocateSql;
    private final String rateSql;
    private final String rateAndTrimSql;
    private final String lockSummarySql;
    private final String storeSummarySql;

    StreamAppender(Database db, SqlTemplate sql, Channels channels, LeaseFenceCheck fences) {
        this.db = db;
        this.channels = channels;
        this.fences = fences;
        this.attemptEndedSql = sql.render(ATTEMPT_ENDED);
        this.allocateSql = sql.render(ALLOCATE_AND_INSERT);
        this.rateSql = sql.render(RATE_UPDATE);
        this.rateAndTrimSql = sql.render(RATE_UPDATE_AND_TRIM);
        this.lockSummarySql = sql.render(LOCK_SUMMARY);
        this.storeSummarySql = sql.render(STORE_SUMMARY);
    }

    Mono<List<AppendOutcome>> append(@Nullable LeaseFence fence, Mono<List<ValidFrame>> validated) {
        return LeaseFenceCheck.require(fence).flatMap(f -> validated.flatMap(frames ->
                db.inTransactionOne("stream_append", tx -> fenced(tx, f)
                        .flatMap(row -> appendAll(tx, f, row, frames)))));
    }

    /** The fence check, with an ended attempt reported as a closed stream whatever the fence says. */
    private Mono<ExecRow> fenced(Tx tx, LeaseFence fence) {
        return fences.check(tx, fence, Set.of())
                .map(LeaseFenceCheck.Outcome::row)
                .onErrorResume(StateException.class, error -> tx.queryOne(attemptEndedSql,
                                r -> r.get("ended_at_ms", Long.class) != null,
                                fence.executionId().partition(), fence.executionId().uuid(), fence.attemptIndex())
                        .defaultIfEmpty(Boolean.FALSE)
                        .flatMap(ended -> Mono.error(ended
                                ? new StateException(StateException.Kind.STREAM_CLOSED, "the stream of attempt "
                                        + fence.attemptIndex() + " of " + fence.executionId()
                                        + " is closed: the attempt has ended")
                                : error)));
    }

    private Mono<List<AppendOutcome>> appendAll(Tx tx, LeaseFence fence, ExecRow row, List<ValidFrame> frames) {
        ExecutionPolicy policy = ExecutionPolicy.fromJson(row.policyJson());
        for (ValidFrame frame : frames) {
            InputRules.maxBytes("frame payload", frame.frame().payload().length, policy.streamMaxPayloadBytes());
        }
        return Flux.fromIterable(frames)
                .concatMap(frame -> appendOne(tx, fence, frame, policy.streamMaxFramesPerAttempt()))
                .collectList()
                .doOnNext(outcomes -> tx.notifyOnCommit(channels.stream(fence.executionId(), fence.attemptIndex())));
    }

    /** What the allocating statement returned: the new id and the meta row's counters after counting the frame. */
    private record Allocated(long seq, long tsMs, long frameCount, long bestEffortCount, double emaRateHz,
                             @Nullable Long lastBestEffortTsMs) {
        static Allocated read(Readable r) {
            return new Allocated(r.get("seq", Long.class), r.get("ts_ms", Long.class),
                    r.get("frame_count", Long.class), r.get("best_effort_count", Long.class),
                    r.get("ema_rate_hz", Double.class), r.get("last_best_effort_ts_ms", Long.class));
        }
    }

    private Mono<AppendOutcome> appendOne(Tx tx, LeaseFence fence, ValidFrame valid, int maxFrames) {
        AppendFrame frame = valid.frame();
        boolean bestEffort = frame.mode() == FrameMode.BEST_EFFORT;
        Object[] key = {(short) fence.executionId().partition(), fence.executionId().uuid(), fence.attemptIndex()};
        return tx.queryOne(allocateSql, Allocated::read, key[0], key[1], key[2], bestEffort ? 1 : 0,
                        frame.mode().literal(), frame.frameType(), frame.encoding(), frame.payload(),
                        Bind.nullable(frame.correlationId(), String.class), Bind.nullable(valid.ttlMs(), Long.class))
                .flatMap(allocated -> {
                    FrameId id = new FrameId(allocated.tsMs(), allocated.seq());
                    Mono<long[]> modeRules;
                    if (bestEffort) {
                        modeRules = bestEffort(tx, key, valid, allocated).map(count -> new long[] {count, -1});
                    } else if (frame.mode() == FrameMode.SUMMARY) {
                        modeRules = applySummary(tx, key, valid.patch())
                                .map(version -> new long[] {allocated.frameCount(), version});
                    } else {
                        modeRules = Mono.just(new long[] {allocated.frameCount(), -1});
                    }
                    return modeRules.flatMap(result -> {
                        if (result[0] > maxFrames) {
                            return Mono.error(new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                                    "the stream would retain more than stream.maxFramesPerAttempt = " + maxFrames
                                            + " frames"));
                        }
                        return Mono.just(new AppendOutcome(id, result[0], result[1] < 0 ? null : result[1]));
                    });
                });
    }

    /** Rate estimate, target length and, past the slack, the trim; emits the retained frame count. */
    private Mono<Long> bestEffort(Tx tx, Object[] key, ValidFrame valid, Allocated allocated) {
        AppendFrame frame = valid.frame();
        BestEffortCap cap = BestEffortCap.compute(allocated.tsMs(), allocated.lastBestEffortTsMs(),
                allocated.emaRateHz(), frame.emaAlpha(), valid.ttlMs(), frame.maxlenFloor(), frame.maxlenCeiling(),
                allocated.bestEffortCount());
        return tx.queryOne(cap.trim() ? rateAndTrimSql : rateSql, r -> r.get("frame_count", Long.class),
                key[0], key[1], key[2], cap.emaRateHz(), allocated.tsMs(), cap.maxlen());
    }

    /** Locks (or creates) the summary row, merges the patch and stores the document; emits the new version. */
    private Mono<Long> applySummary(Tx tx, Object[] key, @Nullable JsonNode patch) {
        if (patch == null) {
            return Mono.error(new IllegalStateException("a validated summary frame carries its parsed patch"));
        }
        return tx.query(lockSummarySql, r -> r.get("document", String.class), key[0], key[1], key[2])
                .map(JsonMergePatch::parse)
                .singleOrEmpty()
                .map(current -> JsonMergePatch.apply(current, patch))
                .switchIfEmpty(Mono.fromSupplier(() -> JsonMergePatch.apply(null, patch)))
                .flatMap(document -> {
                    String json = JsonMergePatch.write(document);
                    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
                    if (bytes > Limits.MAX_SUMMARY_DOCUMENT_BYTES) {
                        return Mono.error(new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                                "the summary document would exceed the limit of "
                                        + Limits.MAX_SUMMARY_DOCUMENT_BYTES + " bytes"));
                    }
                    return tx.queryOne(storeSummarySql, r -> r.get("version", Long.class), key[0], key[1], key[2],
                            json, SummaryDocument.JSON_MERGE_PATCH);
                });
    }

    /** Validates the frames at subscription, before any database access. */
    static Mono<List<ValidFrame>> validated(List<AppendFrame> frames) {
        return Mono.fromCallable(() -> ValidFrame.validateAll(frames));
    }
}
