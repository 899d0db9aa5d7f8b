package io.flowfabric.postgres.sql;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit: concurrent calls of one hot operation share statements.
 *
 * <p>At most {@code maxInFlight} statements of the operation run at once. A call that finds a free slot runs alone at
 * once, on the operation's own one-call path, so an idle engine behaves exactly as without grouping and pays no added
 * latency. Calls that arrive while every slot is busy queue, and when a statement ends the next one takes up to
 * {@code maxBatch} of them (and at most {@code maxBatchBytes} of payload) into one statement. Most of the server time
 * of the engine's write statements is per statement, not per row (setting up the plan over many tables, indexes and
 * constraints), so a busy engine pays it once per batch instead of once per call.
 *
 * <p>Each call keeps its own outcome. The batch statement reports the outcome of the calls it settled, by key; every
 * other call (its row was left alone: a fence that did not pass, a duplicate, a check that failed) then runs on the
 * {@code rest} path, which classifies it exactly as the one-call path would. A batch statement that fails as a whole
 * (after the transaction helper's own retries) is not trusted with anyone's outcome: its calls run one by one. Two
 * calls with the same key never share a statement: the later one runs alone.
 *
 * <p>Threading: {@link #submit} never blocks; statements are sent and outcomes delivered on the driver's threads.
 * Cancelling a call before its statement is sent drops it; afterwards the statement still runs, as a cancelled
 * one-call statement would.
 *
 * @param <I> a validated call
 * @param <O> its outcome
 */
public final class GroupCommit<I, O> {

    private final int maxInFlight;
    private final int maxBatch;
    private final long maxBatchBytes;
    private final Function<I, ?> key;
    private final ToLongFunction<I> bytes;
    private final Function<I, Mono<O>> one;
    private final Function<I, Mono<O>> rest;
    private final Function<List<I>, ? extends Mono<? extends Map<?, O>>> many;
    private final ArrayDeque<Pending<I, O>> queue = new ArrayDeque<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param maxInFlight   statements of this operation at once (at least 1)
     * @param maxBatch      calls per batch statement (at least 2)
     * @param maxBatchBytes payload per batch statement; a larger single call still runs, alone
     * @param key           what makes two calls the same (they never share a statement)
     * @param bytes         a call's payload size
     * @param one           the whole one-call path
     * @param rest          the path of a call that a batch statement left alone
     * @param many          the batch statement: emits the outcomes of the calls it settled, by key
     */
    public GroupCommit(int maxInFlight, int maxBatch, long maxBatchBytes, Function<I, ?> key, ToLongFunction<I> bytes,
                       Function<I, Mono<O>> one, Function<I, Mono<O>> rest, Function<List<I>, ? extends Mono<? extends Map<?, O>>> many) {
        if (maxInFlight < 1 || maxBatch < 2 || maxBatchBytes < 0) {
            throw new IllegalArgumentException("maxInFlight >= 1, maxBatch >= 2 and maxBatchBytes >= 0 are required");
        }
        this.maxInFlight = maxInFlight;
        this.maxBatch = maxBatch;
        this.maxBatchBytes = maxBatchBytes;
        this.key = key;
        this.bytes = bytes;
        this.one = one;
        this.rest = rest;
        this.many = many;
    }

    /** Runs {@code item}, alone or in a batch; emits its outcome, or completes empty or fails exactly as it would alone. */
    public Mono<O> submit(I item) {
        return Mono.create(sink -> {
            Pending<I, O> pending = new Pending<>(item, sink);
            sink.onCancel(() -> pending.cancelled = true);
            synchronized (queue) {
                queue.add(pending);
            }
            drain();
        });
    }

    private void drain() {
        for (;;) {
            int running = inFlight.get();
            if (running >= maxInFlight || isEmpty()) {
                return;
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            Batch<I, O> batch = take();
            batch.alone.forEach(p -> relay(one.apply(p.item), p).subscribe());
            if (batch.together.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            Mono<Void> sent = batch.together.size() == 1
                    ? relay(one.apply(batch.together.get(0).item), batch.together.get(0))
                    : together(batch.together);
            sent.doFinally(signal -> {
                inFlight.decrementAndGet();
                drain();
            }).subscribe();
        }
    }

    private boolean isEmpty() {
        synchronized (queue) {
            return queue.isEmpty();
        }
    }

    private record Batch<I, O>(List<Pending<I, O>> together, List<Pending<I, O>> alone) {
    }

    /** Takes the next batch off the queue: distinct keys, bounded in count and payload. */
    private Batch<I, O> take() {
        List<Pending<I, O>> together = new ArrayList<>();
        List<Pending<I, O>> alone = new ArrayList<>();
        Set<Object> keys = new HashSet<>();
        long size = 0;
        synchronized (queue) {
            while (together.size() < maxBatch && !queue.isEmpty()) {
                Pending<I, O> next = queue.peek();
                long itemBytes = bytes.applyAsLong(next.item);
                if (!together.isEmpty() && size + itemBytes > maxBatchBytes) {
                    break;
                }
                queue.poll();
                if (next.cancelled) {
                    continue;
                }
                if (!keys.add(key.apply(next.item))) {
                    alone.add(next);
                    continue;
                }
                together.add(next);
                size += itemBytes;
            }
        }
        return new Batch<>(together, alone);
    }

    private Mono<Void> together(List<Pending<I, O>> batch) {
        return many.apply(batch.stream().map(p -> p.item).toList())
                .flatMap(settled -> {
                    List<Mono<Void>> others = new ArrayList<>();
                    for (Pending<I, O> p : batch) {
                        O outcome = settled.get(key.apply(p.item));
                        if (outcome != null) {
                            p.sink.success(outcome);
                        } else {
                            others.add(relay(rest.apply(p.item), p));
                        }
                    }
                    return Mono.when(others);
                })
                // The statement as a whole failed: nobody's outcome is known, so each call runs on its own.
                .onErrorResume(e -> Mono.when(batch.stream().map(p -> relay(one.apply(p.item), p)).toList()));
    }

    /** Runs {@code work} and hands its outcome to the call; completes (never fails) when it did. */
    private static <I, O> Mono<Void> relay(Mono<O> work, Pending<I, O> p) {
        return work.doOnSuccess(outcome -> {
                    if (outcome == null) {
                        p.sink.success();
                    } else {
                        p.sink.success(outcome);
                    }
                })
                .doOnError(p.sink::error)
                .then()
                .onErrorResume(e -> Mono.empty());
    }

    private static final class Pending<I, O> {
        final I item;
        final MonoSink<O> sink;
        volatile boolean cancelled;

        Pending(I item, MonoSink<O> sink) {
            this.item = item;
            this.sink = sink;
        }
    }
}
