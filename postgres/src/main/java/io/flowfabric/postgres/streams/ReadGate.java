package io.flowfabric.postgres.streams;

import java.util.ArrayDeque;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * A non-blocking counting semaphore around stream reads (spec 05 §6, {@code maxConcurrentStreamReads}): at most
 * {@code permits} reads run at once; further reads queue in arrival order without blocking a thread. A permit is
 * released when the read completes, errors or is cancelled, and a read cancelled while queued leaves the queue.
 */
final class ReadGate {

    private final Object lock = new Object();
    private final ArrayDeque<Ticket> queue = new ArrayDeque<>();
    private int available;

    ReadGate(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("maxConcurrentStreamReads must be >= 1");
        }
        this.available = permits;
    }

    /** One caller's claim on a permit. Its state only changes under the gate's lock. */
    private static final class Ticket {
        @Nullable MonoSink<Boolean> sink;
        boolean granted;
        boolean released;
    }

    /** Runs {@code read} once a permit is free; the permit is held until the read terminates or is cancelled. */
    <T> Mono<T> run(Supplier<Mono<T>> read) {
        return Mono.defer(() -> {
            Ticket ticket = new Ticket();
            return Mono.<Boolean>create(sink -> acquire(ticket, sink))
                    .then(Mono.defer(read))
                    .doFinally(signal -> release(ticket));
        });
    }

    private void acquire(Ticket ticket, MonoSink<Boolean> sink) {
        boolean grantedNow;
        synchronized (lock) {
            if (ticket.released) {
                return;
            }
            if (available > 0) {
                available--;
                ticket.granted = true;
                grantedNow = true;
            } else {
                ticket.sink = sink;
                queue.addLast(ticket);
                grantedNow = false;
            }
        }
        if (grantedNow) {
            sink.success(Boolean.TRUE);
        }
    }

    private void release(Ticket ticket) {
        Ticket next = null;
        synchronized (lock) {
            if (ticket.released) {
                return;
            }
            ticket.released = true;
            if (!ticket.granted) {
                queue.remove(ticket);
                return;
            }
            next = queue.pollFirst();
            if (next == null) {
                available++;
            } else {
                next.granted = true;
            }
        }
        if (next != null && next.sink != null) {
            next.sink.success(Boolean.TRUE);
        }
    }

    /** Permits free right now; for tests. */
    int available() {
        synchronized (lock) {
            return available;
        }
    }

    /** Reads waiting for a permit; for tests. */
    int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }
}
