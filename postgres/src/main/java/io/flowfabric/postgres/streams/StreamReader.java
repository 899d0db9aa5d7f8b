package io.flowfabric.postgres.streams;

import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.FrameMode;
import io.flowfabric.core.streams.JsonMergePatch;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.SummaryDocument;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import io.r2dbc.spi.Readable;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The frame, position and summary queries of spec 05 §6, each one statement in its own short unit of work.
 *
 * <p>A frame read selects the frames strictly after a lower bound and at most an upper bound, both (ts, seq) pairs,
 * in seq order, together with the attempt's end in the same snapshot. Because an attempt's end and every append lock
 * the execution row, a snapshot that sees the stream closed also sees every frame appended before the close.
 *
 * <p>Within a stream ts never decreases as seq grows, so the frames after (T, S) are a suffix in seq order. The
 * statement finds where that suffix starts with the index: every frame at or below m = the highest seq ≤ S whose
 * ts ≤ T sorts at or below (T, S), so scanning starts after m instead of at the first frame. For the id of an
 * existing frame m is S itself, and a follower reading batch after batch touches only the rows it returns.
 *
 * <p>Frame reads pass the engine's {@link ReadGate}.
 */
final class StreamReader {

    /** An upper bound above every frame. */
    static final FrameId MAX_ID = new FrameId(Long.MAX_VALUE, Long.MAX_VALUE);

    private static final String READ = """
            WITH st AS (
              SELECT a.ended_at_ms, a.end_reason, coalesce(m.next_seq, 1) AS next_seq
              FROM {s}.ff_exec_core e
              LEFT JOIN {s}.ff_attempt a
                ON a.partition_key = e.partition_key AND a.execution_id = e.execution_id AND a.attempt_index = $3
              LEFT JOIN {s}.ff_stream_meta m
                ON m.partition_key = e.partition_key AND m.execution_id = e.execution_id AND m.attempt_index = $3
              WHERE e.partition_key = $1 AND e.execution_id = $2
            )
            SELECT st.ended_at_ms, st.end_reason, st.next_seq, f.seq, f.ts_ms, f.mode, f.frame_type, f.encoding, f.payload,
                   f.correlation_id
            FROM st LEFT JOIN LATERAL (
              SELECT fr.seq, fr.ts_ms, fr.mode, fr.frame_type, fr.encoding, fr.payload, fr.correlation_id
              FROM {s}.ff_stream_frame fr
              WHERE fr.partition_key = $1 AND fr.execution_id = $2 AND fr.attempt_index = $3
                AND fr.seq > coalesce((
                      SELECT max(b.seq) FROM {s}.ff_stream_frame b
                      WHERE b.partition_key = $1 AND b.execution_id = $2 AND b.attempt_index = $3
                        AND b.seq <= $5 AND b.ts_ms <= $4), 0)
                AND (fr.ts_ms, fr.seq) > ($4, $5)
                AND (fr.ts_ms, fr.seq) <= ($6, $7)
                AND ($8 OR fr.mode <> 'best_effort')
                AND (fr.expires_at_ms IS NULL OR fr.expires_at_ms > {s}.now_ms())
              ORDER BY fr.seq
              LIMIT $9
            ) f ON true
            ORDER BY f.seq""";

    private static final String LAST_ID = """
            SELECT m.last_ts_ms, m.next_seq - 1 AS last_seq
            FROM {s}.ff_exec_core e
            LEFT JOIN {s}.ff_stream_meta m
              ON m.partition_key = e.partition_key AND m.execution_id = e.execution_id AND m.attempt_index = $3
            WHERE e.partition_key = $1 AND e.execution_id = $2""";

    private static final String SUMMARY = """
            SELECT s.document::text AS document, s.version, s.patch_kind, s.first_applied_ms, s.last_updated_ms
            FROM {s}.ff_exec_core e
            LEFT JOIN {s}.ff_stream_summary s
              ON s.partition_key = e.partition_key AND s.execution_id = e.execution_id AND s.attempt_index = $3
            WHERE e.partition_key = $1 AND e.execution_id = $2""";

    private final Database db;
    private final ReadGate gate;
    private final String readSql;
    private final String lastIdSql;
    private final String summarySql;

    StreamReader(Database db, SqlTemplate sql, ReadGate gate) {
        this.db = db;
        this.gate = gate;
        this.readSql = sql.render(READ);
        this.lastIdSql = sql.render(LAST_ID);
        this.summarySql = sql.render(SUMMARY);
    }

    /**
     * One row of a read: the attempt's end and the stream's next seq (the same on every row) and a frame, absent on
     * the row of an empty read.
     */
    private record Row(@Nullable Long endedAtMs, @Nullable String endReason, long nextSeq,
                       @Nullable StreamFrame frame) {
    }

    /** A read's result and the stream's signature in the same snapshot, for parking on the {@link StreamWatch}. */
    record Batch(StreamFrames frames, StreamWatch.Signature seen) {
    }

    /**
     * Frames with id in (after, upTo], at most {@code limit}, with the closed information.
     *
     * @throws NotFoundException (signalled) when the execution does not exist
     */
    Mono<Batch> read(ExecutionId id, int attemptIndex, FrameId after, FrameId upTo, int limit,
                     Visibility visibility) {
        return gate.run(() -> db.inTransaction("stream_read", tx -> tx.query(readSql, StreamReader::row,
                                (short) id.partition(), id.uuid(), attemptIndex, after.tsMs(), after.seq(),
                                upTo.tsMs(), upTo.seq(), visibility == Visibility.ALL, limit))
                        .collectList())
                .map(rows -> {
                    if (rows.isEmpty()) {
                        throw notFound(id);
                    }
                    List<StreamFrame> frames = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        if (row.frame() != null) {
                            frames.add(row.frame());
                        }
                    }
                    Row first = rows.get(0);
                    return new Batch(new StreamFrames(frames,
                            first.endedAtMs() == null ? null : Instant.ofEpochMilli(first.endedAtMs()),
                            first.endReason() == null ? null : EndReason.fromLiteral(first.endReason())),
                            new StreamWatch.Signature(first.nextSeq(), first.endedAtMs() != null));
                });
    }

    private static Row row(Readable r) {
        Long endedAt = r.get("ended_at_ms", Long.class);
        String reason = r.get("end_reason", String.class);
        long nextSeq = r.get("next_seq", Long.class);
        Long seq = r.get("seq", Long.class);
        if (seq == null) {
            return new Row(endedAt, reason, nextSeq, null);
        }
        ByteBuffer payload = r.get("payload", ByteBuffer.class);
        byte[] bytes = new byte[payload == null ? 0 : payload.remaining()];
        if (payload != null) {
            payload.get(bytes);
        }
        StreamFrame frame = new StreamFrame(new FrameId(r.get("ts_ms", Long.class), seq),
                FrameMode.fromLiteral(r.get("mode", String.class)), r.get("frame_type", String.class), bytes,
                r.get("encoding", String.class), r.get("correlation_id", String.class));
        return new Row(endedAt, reason, nextSeq, frame);
    }

    /** The id of the stream's last allocated frame ({@link FrameId#ZERO} before the first append). */
    Mono<FrameId> lastId(ExecutionId id, int attemptIndex) {
        return db.inTransaction("stream_position", tx -> tx.query(lastIdSql, r -> {
                    Long ts = r.get("last_ts_ms", Long.class);
                    return ts == null ? FrameId.ZERO : new FrameId(ts, r.get("last_seq", Long.class));
                }, (short) id.partition(), id.uuid(), attemptIndex))
                .singleOrEmpty()
                .switchIfEmpty(Mono.error(() -> notFound(id)));
    }

    Mono<Optional<SummaryDocument>> summary(ExecutionId id, int attemptIndex) {
        return db.inTransaction("stream_summary", tx -> tx.query(summarySql, r -> {
                    String document = r.get("document", String.class);
                    if (document == null) {
                        return Optional.<SummaryDocument>empty();
                    }
                    return Optional.of(new SummaryDocument(JsonMergePatch.parse(document),
                            r.get("version", Long.class), r.get("patch_kind", String.class),
                            Instant.ofEpochMilli(r.get("first_applied_ms", Long.class)),
                            Instant.ofEpochMilli(r.get("last_updated_ms", Long.class))));
                }, (short) id.partition(), id.uuid(), attemptIndex))
                .singleOrEmpty()
                .switchIfEmpty(Mono.error(() -> notFound(id)));
    }

    private static NotFoundException notFound(ExecutionId id) {
        return new NotFoundException(NotFoundException.Entity.EXECUTION, "no execution " + id);
    }
}
