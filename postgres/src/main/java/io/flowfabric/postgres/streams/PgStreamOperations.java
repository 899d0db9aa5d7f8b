package io.flowfabric.postgres.streams;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.spi.StreamOperations;
import io.flowfabric.core.streams.AppendFrame;
import io.flowfabric.core.streams.AppendOutcome;
import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.SummaryDocument;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.notify.Waiter;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.SqlErrors;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/** {@link StreamOperations} on PostgreSQL; see the interface for the contract and the package for the design. */
final class PgStreamOperations implements StreamOperations {

    private static final Duration MAX_BLOCK = Duration.ofMinutes(5);
    /** Longest single wait of a parked follow before it looks again on its own. */
    private static final Duration FOLLOW_PARK = Duration.ofMinutes(5);

    /** Retries follow reads that failed for a reason that may pass (transport, pool exhaustion, contention). */
    private static final Retry TRANSIENT = Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
            .maxBackoff(Duration.ofSeconds(5))
            .filter(e -> SqlErrors.map(e).retryable());

    private final StreamAppender appender;
    private final StreamReader reader;
    private final StreamWatch watch;
    private final Channels channels;
    private final @Nullable NotificationHub hub;

    PgStreamOperations(StreamAppender appender, StreamReader reader, StreamWatch watch, Channels channels,
                       @Nullable NotificationHub hub) {
        this.appender = appender;
        this.reader = reader;
        this.watch = watch;
        this.channels = channels;
        this.hub = hub;
    }

    // ---------------------------------------------------------------------------------------------- appends

    @Override
    public Mono<AppendOutcome> appendFrame(@Nullable LeaseFence fence, AppendFrame frame) {
        return appender.append(fence, Mono.fromCallable(() -> List.of(ValidFrame.validate(frame))))
                .map(outcomes -> outcomes.get(0));
    }

    @Override
    public Mono<List<AppendOutcome>> appendFrames(@Nullable LeaseFence fence, List<AppendFrame> frames) {
        return appender.append(fence, StreamAppender.validated(frames));
    }

    // ---------------------------------------------------------------------------------------------- reads

    @Override
    public Mono<StreamFrames> readStream(ExecutionId executionId, int attemptIndex, StreamCursor from,
                                         StreamCursor to, int count, Visibility visibility) {
        return Mono.fromCallable(() -> {
            checkStream(executionId, attemptIndex, visibility);
            checkCount(count);
            return new FrameId[] {lowerBoundInclusive(from), upperBoundInclusive(to)};
        }).flatMap(bounds -> reader.read(executionId, attemptIndex, bounds[0], bounds[1], count, visibility))
                .map(StreamReader.Batch::frames);
    }

    @Override
    public Mono<Optional<SummaryDocument>> readSummary(ExecutionId executionId, int attemptIndex) {
        return Mono.fromRunnable(() -> checkStream(executionId, attemptIndex, Visibility.ALL))
                .then(reader.summary(executionId, attemptIndex));
    }

    @Override
    public Mono<StreamFrames> tailStream(ExecutionId executionId, int attemptIndex, StreamCursor after,
                                         Duration block, int count, Visibility visibility) {
        return Mono.fromCallable(() -> {
            checkStream(executionId, attemptIndex, visibility);
            checkCount(count);
            InputRules.durationInRange("block", block, Duration.ZERO, MAX_BLOCK,
                    ValidationException.Kind.INVALID_INPUT);
            if (!(after instanceof StreamCursor.At at)) {
                throw new ValidationException(ValidationException.Kind.INVALID_CURSOR,
                        "a tail starts after a frame id: at(id), at(\"0-0\") for the beginning");
            }
            return at.id();
        }).flatMap(position -> {
            if (block.isZero()) {
                return reader.read(executionId, attemptIndex, position, StreamReader.MAX_ID, count, visibility)
                        .map(StreamReader.Batch::frames);
            }
            long deadline = System.nanoTime() + block.toNanos();
            // Armed before the first read, so an append committed between that read and the park still wakes us.
            return Mono.usingWhen(Waiter.arm(hub, List.of(channels.stream(executionId, attemptIndex))),
                    waiter -> tailUntil(executionId, attemptIndex, position, count, visibility, deadline, waiter),
                    waiter -> Mono.fromRunnable(waiter::dispose));
        });
    }

    private Mono<StreamFrames> tailUntil(ExecutionId id, int attemptIndex, FrameId after, int count,
                                         Visibility visibility, long deadlineNanos, Waiter waiter) {
        return reader.read(id, attemptIndex, after, StreamReader.MAX_ID, count, visibility).flatMap(batch -> {
            StreamFrames result = batch.frames();
            long remaining = deadlineNanos - System.nanoTime();
            if (!result.isEmpty() || result.closed() || remaining <= 0) {
                return Mono.just(result);
            }
            return park(new StreamWatch.Key(id, attemptIndex), batch.seen(), waiter, Duration.ofNanos(remaining))
                    .then(Mono.defer(() -> tailUntil(id, attemptIndex, after, count, visibility, deadlineNanos,
                            waiter)));
        });
    }

    @Override
    public Flux<StreamFrame> followStream(ExecutionId executionId, int attemptIndex, StreamCursor from,
                                          Visibility visibility) {
        return Mono.fromRunnable(() -> {
            checkStream(executionId, attemptIndex, visibility);
            if (from == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_CURSOR, "from is required");
            }
        }).thenMany(Flux.usingWhen(Waiter.arm(hub, List.of(channels.stream(executionId, attemptIndex))),
                waiter -> startPosition(executionId, attemptIndex, from).flatMapMany(start -> {
                    StreamWatch.Key key = new StreamWatch.Key(executionId, attemptIndex);
                    return Flux.<StreamFrame>create(sink -> new StreamFollower(sink, start,
                                    (after, limit) -> reader.read(executionId, attemptIndex, after,
                                            StreamReader.MAX_ID, limit, visibility).retryWhen(TRANSIENT),
                                    seen -> park(key, seen, waiter, FOLLOW_PARK)).start(),
                            FluxSink.OverflowStrategy.BUFFER);
                }),
                waiter -> Mono.fromRunnable(waiter::dispose)));
    }

    /**
     * Waits, holding no connection, until the stream's channel is notified (or the listener reconnects), the
     * engine's shared poll fallback sees the stream differ from {@code seen}, or {@code timeout} passes.
     *
     * <p>When the poll fallback wins, the waiter's cancelled wait may swallow a notification that arrives before the
     * next park; the poll fallback then still notices that change within one interval, which is the same guarantee
     * a lost notification gets.
     */
    private Mono<Boolean> park(StreamWatch.Key key, StreamWatch.Signature seen, Waiter waiter, Duration timeout) {
        return Mono.firstWithSignal(waiter.await(timeout), watch.changed(key, seen));
    }

    private Mono<FrameId> startPosition(ExecutionId id, int attemptIndex, StreamCursor from) {
        if (from instanceof StreamCursor.At at) {
            return Mono.just(at.id());
        }
        if (from instanceof StreamCursor.Start) {
            return Mono.just(FrameId.ZERO);
        }
        return reader.lastId(id, attemptIndex);
    }

    // ---------------------------------------------------------------------------------------------- arguments

    private static void checkStream(@Nullable ExecutionId id, int attemptIndex, @Nullable Visibility visibility) {
        if (id == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "executionId is required");
        }
        if (attemptIndex < 0) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "attemptIndex must be >= 0");
        }
        if (visibility == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "visibility is required");
        }
    }

    private static void checkCount(int count) {
        if (count < 1 || count > Limits.STREAM_READ_MAX_COUNT) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "count must be 1.." + Limits.STREAM_READ_MAX_COUNT + ", got " + count);
        }
    }

    /** The exclusive lower bound equivalent to an inclusive {@code from}. */
    static FrameId lowerBoundInclusive(@Nullable StreamCursor from) {
        if (from instanceof StreamCursor.Start) {
            return FrameId.ZERO;
        }
        if (from instanceof StreamCursor.At at) {
            FrameId id = at.id();
            if (id.seq() > 0) {
                return new FrameId(id.tsMs(), id.seq() - 1);
            }
            // (ts, 0) inclusive: everything after the last possible id of ts - 1; no frame has seq 0.
            return id.tsMs() == 0 ? FrameId.ZERO : new FrameId(id.tsMs() - 1, Long.MAX_VALUE);
        }
        throw new ValidationException(ValidationException.Kind.INVALID_CURSOR,
                "a range starts at START or at(id), not " + from);
    }

    static FrameId upperBoundInclusive(@Nullable StreamCursor to) {
        if (to instanceof StreamCursor.End) {
            return StreamReader.MAX_ID;
        }
        if (to instanceof StreamCursor.At at) {
            return at.id();
        }
        throw new ValidationException(ValidationException.Kind.INVALID_CURSOR,
                "a range ends at at(id) or END, not " + to);
    }
}
