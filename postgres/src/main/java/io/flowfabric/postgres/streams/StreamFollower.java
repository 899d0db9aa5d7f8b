package io.flowfabric.postgres.streams;

import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * The read loop behind one {@code followStream} subscriber (spec 05 §6).
 *
 * <p>At most one step runs at a time: a read of min(outstanding demand, {@value #MAX_BATCH}) frames after the
 * position, or a park on the waiter. A step starts only while the subscriber has outstanding demand, so every frame
 * read can be emitted at once and the loop never holds more than one batch. After a full batch it reads again at
 * once; after a partial or empty one it parks (holding no connection) until a wake or the poll fallback. A read that
 * sees the stream closed and returns fewer frames than asked for has emitted the last frame: the loop completes.
 *
 * <p>Thread-safe: demand arrives on the subscriber's thread, results on driver threads; the step flag is guarded by
 * this object's monitor and emissions happen only from the single running step.
 */
final class StreamFollower {

    /** Most frames per read. */
    static final int MAX_BATCH = 256;

    private final FluxSink<StreamFrame> sink;
    private final BiFunction<FrameId, Integer, Mono<StreamReader.Batch>> read;
    private final Function<StreamWatch.Signature, Mono<Boolean>> park;
    private final Disposable.Swap current = Disposables.swap();
    private FrameId position;
    private boolean stepping;
    private StreamWatch.@Nullable Signature parkOn;
    private boolean done;

    /**
     * @param read reads at most the given number of frames after the given position (transient errors already
     *             retried)
     * @param park waits, holding no connection, until something may have changed since a read saw the signature
     */
    StreamFollower(FluxSink<StreamFrame> sink, FrameId start,
                   BiFunction<FrameId, Integer, Mono<StreamReader.Batch>> read,
                   Function<StreamWatch.Signature, Mono<Boolean>> park) {
        this.sink = sink;
        this.read = read;
        this.park = park;
        this.position = start;
    }

    /** Wires demand and cancellation; the first step starts with the first request. */
    void start() {
        sink.onRequest(n -> drain());
        sink.onDispose(current);
    }

    private void drain() {
        StreamWatch.Signature seen;
        synchronized (this) {
            if (stepping || done || sink.requestedFromDownstream() <= 0) {
                return;
            }
            stepping = true;
            seen = parkOn;
            parkOn = null;
        }
        if (seen != null) {
            run(park.apply(seen), woken -> readStep());
        } else {
            readStep();
        }
    }

    private void readStep() {
        long demand = sink.requestedFromDownstream();
        int limit = (int) Math.max(1, Math.min(demand, MAX_BATCH));
        run(read.apply(position, limit), batch -> emit(batch, limit));
    }

    /**
     * Subscribes to one step, registering it for cancellation before it can signal: a step that completes
     * synchronously starts the next one, which must not be overwritten by the registration of this one.
     */
    private <T> void run(Mono<T> step, Consumer<T> onValue) {
        BaseSubscriber<T> subscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnNext(T value) {
                onValue.accept(value);
            }

            @Override
            protected void hookOnError(Throwable error) {
                fail(error);
            }
        };
        current.replace(subscriber);
        step.subscribe(subscriber);
    }

    private void emit(StreamReader.Batch result, int limit) {
        StreamFrames batch = result.frames();
        for (StreamFrame frame : batch.frames()) {
            position = frame.id();
            sink.next(frame);
        }
        boolean finished = batch.closed() && batch.frames().size() < limit;
        synchronized (this) {
            stepping = false;
            parkOn = batch.frames().size() < limit ? result.seen() : null;
            done = finished;
        }
        if (finished) {
            sink.complete();
        } else {
            drain();
        }
    }

    private void fail(Throwable error) {
        synchronized (this) {
            done = true;
        }
        sink.error(error);
    }
}
