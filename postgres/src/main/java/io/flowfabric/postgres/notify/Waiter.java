package io.flowfabric.postgres.notify;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A waiter's registration on one or more channels of the {@link NotificationHub}: armed before the waiter's first
 * read, then {@link #await(Duration)} parks (holding no connection) until a wake arrives or the poll interval ends.
 * A wake that arrives while the waiter is busy reading is remembered (one, coalesced), so none is lost between a
 * read and the next wait. Dispose it to release the channels.
 *
 * <p>{@link #await(Duration)} is for one waiter at a time: it is not meant to be called concurrently.
 */
public final class Waiter implements Disposable {

    private final Object lock = new Object();
    private final Disposable subscription;
    private final @Nullable NotificationHub hub;
    private final List<String> channels;
    private boolean pending;
    private Sinks.@Nullable One<Boolean> parked;

    private Waiter(@Nullable NotificationHub hub, List<String> channels, Flux<Wake> wakes, Sinks.One<Waiter> armed) {
        this.hub = hub;
        this.channels = List.copyOf(channels);
        AtomicInteger unarmed = new AtomicInteger(Math.max(1, channels.size()));
        this.subscription = wakes.subscribe(wake -> {
            if (wake == Wake.ARMED) {
                if (unarmed.decrementAndGet() == 0) {
                    armed.tryEmitValue(this);
                }
                return;
            }
            wakeUp();
        }, error -> wakeUp(), () -> {
            // The hub stopped (or completed the registration without arming it): nothing will arm it any more, so
            // let the waiter proceed at once; its next read reports the engine's state.
            armed.tryEmitValue(this);
            wakeUp();
        });
    }

    /**
     * Registers on {@code channels} and completes once all are armed. With no hub (the engine has no listener
     * connection) it completes at once and {@link #await} only ever times out: waiters then rely on polling.
     */
    public static Mono<Waiter> arm(@Nullable NotificationHub hub, List<String> channels) {
        return Mono.defer(() -> {
            Sinks.One<Waiter> armed = Sinks.one();
            if (hub == null || channels.isEmpty()) {
                return Mono.just(new Waiter(null, List.of(), Flux.never(), armed));
            }
            Flux<Wake> wakes = Flux.merge(channels.stream().map(hub::listen).toList());
            Waiter waiter = new Waiter(hub, channels, wakes, armed);
            // A stopped hub completes the registrations without arming them: treat that as armed (poll only).
            return armed.asMono().or(Mono.delay(Duration.ofSeconds(5)).thenReturn(waiter))
                    .doOnCancel(waiter::dispose);
        });
    }

    private void wakeUp() {
        Sinks.One<Boolean> toWake;
        synchronized (lock) {
            toWake = parked;
            parked = null;
            if (toWake == null) {
                pending = true;
            }
        }
        if (toWake != null) {
            toWake.tryEmitValue(Boolean.TRUE);
        }
    }

    /**
     * Emits {@code true} as soon as a wake arrived since the last call (at once if one is pending), or {@code false}
     * when {@code timeout} passes first. Cancelling stops waiting.
     */
    public Mono<Boolean> await(Duration timeout) {
        return Mono.defer(() -> {
            Sinks.One<Boolean> sink = Sinks.one();
            synchronized (lock) {
                if (pending) {
                    pending = false;
                    return Mono.just(Boolean.TRUE);
                }
                parked = sink;
            }
            Runnable unpark = () -> {
                synchronized (lock) {
                    if (parked == sink) {
                        parked = null;
                    }
                }
            };
            // A cancelled wait (another wake-up source won a race) must unpark, or the next wake is handed to a
            // sink nobody listens to any more.
            return sink.asMono()
                    .timeout(timeout, Mono.fromCallable(() -> {
                        unpark.run();
                        return Boolean.FALSE;
                    }))
                    .doOnCancel(unpark);
        });
    }

    /**
     * When the latest wake arrived on any of this waiter's channels ({@link System#nanoTime()}, stamped by the hub
     * before it woke anyone), {@link Long#MIN_VALUE} when none has or there is no hub. Every commit whose wake this
     * waiter has taken committed before that time, so a read that started at or after it sees them all: a waiter may
     * join such a read instead of issuing its own.
     */
    public long latestWakeNanos() {
        long latest = Long.MIN_VALUE;
        if (hub != null) {
            for (String channel : channels) {
                latest = Math.max(latest, hub.lastWakeNanos(channel));
            }
        }
        return latest;
    }

    @Override
    public void dispose() {
        subscription.dispose();
    }

    @Override
    public boolean isDisposed() {
        return subscription.isDisposed();
    }
}
