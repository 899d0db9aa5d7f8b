package io.flowfabric.core.spi;

import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.AppendOutcome;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.SummaryDocument;
import io.flowfabric.core.streams.Visibility;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Per-attempt output streams (spec 05): the lease holder appends frames to the stream of its attempt; anyone reads,
 * tails or follows them.
 *
 * <p>Each attempt of an execution owns one stream, addressed by (execution id, attempt index); a retry, reclaim or
 * replay starts a new stream, a resumed attempt keeps its own. Frame ids ({@code <ts_ms>-<seq>}) come from the
 * stream's own counter under a row lock, so ids never go backwards and appends become visible in id order: a reader
 * positioned after a frame never later finds a new frame below its position. A stream is <b>closed</b> exactly when
 * its attempt has ended; reads then report {@code closedAt} and {@code closedReason}, and appends fail with
 * {@code StateException(STREAM_CLOSED)}.
 *
 * <p>Besides the contract shared by every family (see the package documentation):
 * <ul>
 *   <li><b>Appends</b> take a {@link LeaseFence} and lock the execution row like every lease-holder write; a
 *       {@code null} fence is {@code ValidationException(FENCE_REQUIRED)}; an ended attempt is
 *       {@code StateException(STREAM_CLOSED)}; otherwise a failed fence check is {@code StateException} with kind
 *       {@code STALE_LEASE}, {@code LEASE_EXPIRED}, {@code LEASE_REVOKED} or {@code EXECUTION_NOT_ACTIVE}, or
 *       {@code NotFoundException(EXECUTION)}. A rejected append writes nothing. Appends are not idempotent: each
 *       successful call adds frames.</li>
 *   <li><b>Best-effort frames</b> whose TTL has passed are never returned, even before the reconciler deletes
 *       them.</li>
 *   <li><b>Reads hold a pooled connection only while a query runs</b>; at most {@code maxConcurrentStreamReads}
 *       (default 64) frame queries run at once per engine, further reads queue without blocking a thread. Parked
 *       tails and follows hold neither a connection nor a read slot.</li>
 * </ul>
 *
 * @since 0.1
 */
public interface StreamOperations {

    /**
     * Appends one frame to the stream of the fence's attempt (spec 05 §3–§5).
     *
     * <p>The frame is validated (field rules of {@link AppendFrame}; payload at most the execution policy's
     * {@code stream.maxPayloadBytes}, {@code ValidationException(LIMIT_EXCEEDED)} beyond; the stream stays within
     * {@code stream.maxFramesPerAttempt} retained frames). A {@link io.flowfabric.core.streams.FrameMode#SUMMARY}
     * frame must be UTF-8 JSON ({@code ValidationException(INVALID_JSON)}) and is applied as a JSON Merge Patch to
     * the summary document, whose new version is reported; a resulting document above 1 MiB is
     * {@code LIMIT_EXCEEDED}. A {@link io.flowfabric.core.streams.FrameMode#BEST_EFFORT} frame expires after its TTL
     * and may trim older best-effort frames (never durable or summary frames). Tails and follows of the stream are
     * woken at commit.
     *
     * @param fence the lease holder's fence
     * @param frame the frame
     * @return a cold {@code Mono} emitting the outcome after the commit, or an error; nothing is written on error
     */
    Mono<AppendOutcome> appendFrame(@Nullable LeaseFence fence, AppendFrame frame);

    /**
     * Appends 1..100 frames in one transaction, in list order, with consecutive sequence numbers; all or nothing.
     * Each frame follows the rules of {@link #appendFrame}. More than 100 frames, or none, is
     * {@code ValidationException(LIMIT_EXCEEDED)} or {@code INVALID_INPUT}.
     *
     * @param fence  the lease holder's fence
     * @param frames the frames
     * @return a cold {@code Mono} emitting one outcome per frame, in list order, after the commit
     */
    Mono<List<AppendOutcome>> appendFrames(@Nullable LeaseFence fence, List<AppendFrame> frames);

    /**
     * Reads an inclusive range of a stream, in id order.
     *
     * @param executionId  the execution
     * @param attemptIndex the attempt, ≥ 0
     * @param from         {@link StreamCursor#START} or {@code at(id)}, inclusive; {@code END} is
     *                     {@code ValidationException(INVALID_CURSOR)}
     * @param to           {@code at(id)} or {@link StreamCursor#END}, inclusive; {@code START} is
     *                     {@code INVALID_CURSOR}
     * @param count        the most frames to return, 1..10 000 ({@code INVALID_INPUT} otherwise, never clamped)
     * @param visibility   whether best-effort frames are included
     * @return a cold {@code Mono} emitting the frames (empty list when none) with the closed information, or
     *         {@code NotFoundException(EXECUTION)} when the execution does not exist. An attempt that does not exist
     *         (yet) reads as an open, empty stream.
     */
    Mono<StreamFrames> readStream(ExecutionId executionId, int attemptIndex, StreamCursor from, StreamCursor to,
                                  int count, Visibility visibility);

    /**
     * The stream's summary document.
     *
     * @param executionId  the execution
     * @param attemptIndex the attempt, ≥ 0
     * @return a cold {@code Mono} emitting the document, or an empty {@code Optional} when no patch was applied;
     *         {@code NotFoundException(EXECUTION)} when the execution does not exist
     */
    Mono<Optional<SummaryDocument>> readSummary(ExecutionId executionId, int attemptIndex);

    /**
     * Returns the frames after {@code after}, waiting up to {@code block} for some to arrive (spec 05 §6).
     *
     * <p>The tail first registers interest in the stream's notification channel, then reads. It emits at once when
     * it found frames, when {@code block} is zero, or when the stream is closed (with the closed information).
     * Otherwise it parks <b>without holding a pooled connection</b> until an append or close is notified, the
     * listener reconnects, or the 1 s poll fallback passes, and reads again; when {@code block} runs out it emits an
     * empty, open result. Cancelling releases the channel interest.
     *
     * @param executionId  the execution
     * @param attemptIndex the attempt, ≥ 0
     * @param after        {@code at(id)}, exclusive ({@code at("0-0")} for the beginning); {@code START} and
     *                     {@code END} are {@code ValidationException(INVALID_CURSOR)}
     * @param block        how long to wait, 0..5 min ({@code INVALID_INPUT} otherwise)
     * @param count        the most frames to return, 1..10 000
     * @param visibility   whether best-effort frames are included
     * @return a cold {@code Mono} emitting exactly one result, or {@code NotFoundException(EXECUTION)}
     */
    Mono<StreamFrames> tailStream(ExecutionId executionId, int attemptIndex, StreamCursor after, Duration block,
                                  int count, Visibility visibility);

    /**
     * Follows a stream from a position until it closes; made for server-sent events (a frame's id is the event id,
     * and a reconnecting client resumes with {@code at(lastId)}).
     *
     * <ul>
     *   <li><b>Emissions.</b> Every frame after {@code from} (exclusive; {@code START} for the beginning, {@code END}
     *       for frames appended from now on), once each, in id order.</li>
     *   <li><b>Backpressure.</b> Frames are read only against outstanding demand, at most min(demand, 256) per read,
     *       so the follower never holds more than one batch and a slow subscriber slows only its own reads; nothing
     *       is dropped.</li>
     *   <li><b>Waiting.</b> When nothing is available it parks like {@link #tailStream}, holding no pooled
     *       connection.</li>
     *   <li><b>Completion.</b> Completes once the stream is closed and every frame up to the close was emitted.</li>
     *   <li><b>Errors.</b> Transient errors ({@link io.flowfabric.core.error.FlowFabricException#retryable()}) are
     *       retried with backoff; others end it: {@code NotFoundException(EXECUTION)}, validation errors, and
     *       {@code UnavailableException(SHUTTING_DOWN)} when the engine stops.</li>
     *   <li><b>Cancellation</b> releases the channel interest and any running read.</li>
     * </ul>
     *
     * @param executionId  the execution
     * @param attemptIndex the attempt, ≥ 0
     * @param from         the position to start after
     * @param visibility   whether best-effort frames are included
     * @return a cold {@code Flux} of frames
     */
    Flux<StreamFrame> followStream(ExecutionId executionId, int attemptIndex, StreamCursor from,
                                   Visibility visibility);
}
