package io.flowfabric.postgres.streams;

import io.flowfabric.core.streams.FrameId;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.postgres.notify.Waiter;
import java.time.Duration;
import java.util.function.BiFunction;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * The read loop behind one {@code followStream} subscriber (spec 05 §6).
 *
 * <p>At most one step runs at a time: a read of min(outstanding demand, {@value #MAX_BATCH}) frames after the
 * position, or a park on the waiter. A step starts only while the subscriber has outstanding demand, so every frame
 * read can be emitted at once and the loop never holds more than one batch. After a full batch it reads again at
 * once; after a partial or empty one it parks (holding no connection) until a wake or the poll interval. A read that
 * sees the stream closed and returns fewer frames than asked for has emitted the last frame: the loop completes.
 *
 * <p>Thread-safe: demand arrives on the subscriber's thread, results on driver threads; the step flag is guarded by
 * this object's monitor and emissions happen only from the single running step.
 */
final class StreamFollower {

    /** Most frames per read. */
    static final int MAX_BATCH = 256;

    private final FluxSink<StreamFrame> sink;
    private final Waiter waiter;
    private final Duration poll;
    private final BiFunction<FrameId, Integer, Mono<StreamFrames>> read;
    private final Disposable.Swap current = Disposables.swap();
    private FrameId position;
    private boolean stepping;
    private boolean parkNext;
    private boolean done;

    /**
     * @param read reads at most the given number of frames after the given position (transient errors already
     *             retried)
     */
    StreamFollower(FluxSink<StreamFrame> sink, Waiter waiter, Duration poll, FrameId start,
                   BiFunction<FrameId, Integer, Mono<StreamFrames>> read) {
        this.sink = sink;
        this.waiter = waiter;
        this.poll = poll;
        this.read = read;
        this.position = start;
    }

    /** Wires demand and cancellation; the first step starts with the first request. */
    void start() {
        sink.onRequest(n -> drain());
        sink.onDispose(current);
    }

    private void drain() {
        boolean park;
        long demand;
        synchronized (this) {
            if (stepping || done) {
                return;
            }
            demand = sink.requestedFromDownstream();
            if (demand <= 0) {
                return;
            }
            stepping = true;
            park = parkNext;
            parkNext = false;
        }
        if (park) {
            current.replace(waiter.await(poll).subscribe(woken -> readStep(), this::fail));
        } else {
            readStep();
        }
    }

    private void readStep() {
        long demand = sink.requestedFromDownstream();
        int limit = (int) Math.max(1, Math.min(demand, MAX_BATCH));
        current.replace(read.apply(position, limit).subscribe(batch -> emit(batch, limit), this::fail));
    }

    private void emit(StreamFrames batch, int limit) {
        for (StreamFrame frame : batch.frames()) {
            position = frame.id();
            sink.next(frame);
        }
        boolean finished = batch.closed() && batch.frames().size() < limit;
        synchronized (this) {
            stepping = false;
            parkNext = batch.frames().size() < limit;
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
