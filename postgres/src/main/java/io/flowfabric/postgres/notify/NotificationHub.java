package io.flowfabric.postgres.notify;

import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * One engine's LISTEN connection (spec 04 §3).
 *
 * <ul>
 *   <li><b>Reference-counted channels.</b> {@link #listen(String)} registers interest; the first registration of a
 *       channel issues {@code LISTEN}, the last release issues {@code UNLISTEN}.</li>
 *   <li><b>Arm before read.</b> The returned {@code Flux} emits {@link Wake#ARMED} once the {@code LISTEN} result was
 *       consumed, so a waiter that reads after {@code ARMED} cannot miss a change committed between its read and its
 *       wait. While the hub is disconnected, registration arms at once and the waiter relies on polling.</li>
 *   <li><b>Buffering.</b> The driver's notification stream drops what nobody requested, so the hub subscribes to it
 *       once with unbounded demand and routes each notification to its channel. Each waiter's wakes are coalesced
 *       ({@code onBackpressureLatest}): a slow waiter gets one pending wake, never an unbounded queue.</li>
 *   <li><b>Reconnect.</b> When the connection fails the hub reconnects with exponential backoff (100 ms..5 s, jitter,
 *       without limit), re-issues {@code LISTEN} for every channel in use and wakes every waiter with
 *       {@link Wake#RECONNECTED} so each re-reads what it may have missed.</li>
 *   <li><b>Shutdown.</b> {@link #stop()} unlistens, closes the connection and completes every waiter's flux.</li>
 * </ul>
 *
 * <p>All statements on the listener connection run one at a time through a command queue; notification routing runs
 * on the driver thread and never blocks.
 */
public final class NotificationHub {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationHub.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final ConnectionFactory factory;
    private final HubMetrics metrics;
    private final Object lock = new Object();
    private final Map<String, Channel> channels = new HashMap<>();
    private final Sinks.Many<Mono<Void>> commands = Sinks.many().unicast().onBackpressureBuffer();
    private final AtomicLong reconnects = new AtomicLong();
    private @Nullable Connection connection;
    private @Nullable Disposable notifications;
    private @Nullable Disposable worker;
    private boolean connected;
    private boolean stopped;
    private boolean started;
    private boolean everConnected;

    /** What the hub reports; the engine binds it to Micrometer when a registry is given. */
    public interface HubMetrics {
        void reconnected();

        void notification(String channel);

        HubMetrics NONE = new HubMetrics() {
            @Override
            public void reconnected() {
            }

            @Override
            public void notification(String channel) {
            }
        };
    }

    private static final class Channel {
        final String name;
        final Sinks.Many<Wake> wakes = Sinks.many().multicast().directBestEffort();
        final List<Sinks.One<Void>> waitingForArm = new ArrayList<>();
        int refs;
        boolean armed;
        /** {@link System#nanoTime()} of the latest notification or reconnect routed here; 0 before any. */
        volatile long lastWakeNanos;

        Channel(String name) {
            this.name = name;
        }
    }

    /**
     * @param factory a factory of dedicated, non-pooled PostgreSQL connections (never a pool: LISTEN is session
     *                state a pool would hand to others)
     */
    public NotificationHub(ConnectionFactory factory, HubMetrics metrics) {
        this.factory = factory;
        this.metrics = metrics;
    }

    /** Opens the listener connection (in the background, retrying until it succeeds) and completes at once. */
    public Mono<Void> start() {
        return Mono.fromRunnable(() -> {
            synchronized (lock) {
                if (started) {
                    return;
                }
                started = true;
                worker = commands.asFlux()
                        .concatMap(command -> command.onErrorResume(e -> {
                            LOG.debug("listener command failed: {}", e.toString());
                            return Mono.empty();
                        }))
                        .subscribe();
                enqueue(connectWithRetry());
            }
        });
    }

    /**
     * Registers interest in {@code channel}. Emits {@link Wake#ARMED} first, then a {@link Wake} per notification or
     * reconnect (coalesced while the subscriber is busy). Completes when the hub stops. Cancelling releases the
     * interest; the last release unlistens. Never errors.
     */
    public Flux<Wake> listen(String channel) {
        return Flux.defer(() -> {
            Channel ch;
            Sinks.One<Void> armed = Sinks.one();
            synchronized (lock) {
                if (stopped) {
                    return Flux.empty();
                }
                ch = channels.computeIfAbsent(channel, Channel::new);
                ch.refs++;
                if (ch.armed || !connected) {
                    armed.tryEmitEmpty();
                } else {
                    ch.waitingForArm.add(armed);
                    if (ch.refs == 1) {
                        enqueue(listenCommand(ch));
                    }
                }
            }
            Channel registered = ch;
            return armed.asMono()
                    .thenMany(Flux.concat(Mono.just(Wake.ARMED), registered.wakes.asFlux()))
                    .onBackpressureLatest()
                    .doFinally(signal -> release(registered));
        });
    }

    /**
     * When the latest wake ({@link Wake#NOTIFIED} or {@link Wake#RECONNECTED}) arrived on {@code channel}, as
     * {@link System#nanoTime()}, stamped before any waiter is woken; {@link Long#MIN_VALUE} when none arrived or
     * nobody listens on it. A read issued at or after this time sees every commit whose wake has arrived: waiters
     * woken by the same notification can share one read (see {@link Waiter#latestWakeNanos()}).
     */
    public long lastWakeNanos(String channel) {
        Channel ch;
        synchronized (lock) {
            ch = channels.get(channel);
        }
        long at = ch == null ? 0 : ch.lastWakeNanos;
        return at == 0 ? Long.MIN_VALUE : at;
    }

    private void release(Channel ch) {
        synchronized (lock) {
            ch.refs--;
            if (ch.refs == 0 && !stopped) {
                channels.remove(ch.name);
                // Always: a LISTEN may still be in flight (not armed yet) and would otherwise stay in force.
                // The command skips a channel that was registered again meanwhile.
                enqueue(unlistenCommand(ch.name));
            }
        }
    }

    /** Whether the listener connection is up. */
    public boolean connected() {
        synchronized (lock) {
            return connected;
        }
    }

    /** Channels with at least one registered waiter. */
    public int channelCount() {
        synchronized (lock) {
            return channels.size();
        }
    }

    /** How many times the listener reconnected after losing its connection. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Unlistens, closes the connection and completes every waiter. Idempotent. */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            List<Channel> open;
            Connection c;
            synchronized (lock) {
                if (stopped) {
                    return Mono.empty();
                }
                stopped = true;
                connected = false;
                open = new ArrayList<>(channels.values());
                channels.clear();
                c = connection;
                connection = null;
                if (notifications != null) {
                    notifications.dispose();
                }
                if (worker != null) {
                    worker.dispose();
                }
            }
            open.forEach(ch -> {
                ch.waitingForArm.forEach(Sinks.One::tryEmitEmpty);
                ch.wakes.tryEmitComplete();
            });
            if (c == null) {
                return Mono.empty();
            }
            return execute(c, "UNLISTEN *").onErrorResume(e -> Mono.empty())
                    .then(Mono.from(c.close()).onErrorResume(e -> Mono.empty()));
        });
    }

    // ---------------------------------------------------------------------------------------------- internals

    private void enqueue(Mono<Void> command) {
        // Called under the lock, which serialises emissions into the unicast sink.
        commands.tryEmitNext(command);
    }

    private Mono<Void> connectWithRetry() {
        return Mono.defer(this::connectOnce)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, MIN_BACKOFF).maxBackoff(MAX_BACKOFF).jitter(0.5)
                        .filter(e -> !isStopped())
                        .doBeforeRetry(s -> LOG.debug("listener reconnect attempt {} failed: {}",
                                s.totalRetries() + 1, s.failure().toString())));
    }

    private boolean isStopped() {
        synchronized (lock) {
            return stopped;
        }
    }

    private Mono<Void> connectOnce() {
        return Mono.from(factory.create()).flatMap(c -> {
            List<String> names;
            synchronized (lock) {
                if (stopped) {
                    return Mono.from(c.close()).then();
                }
                names = new ArrayList<>(channels.keySet());
            }
            Mono<Void> listenAll = Flux.fromIterable(names).concatMap(name -> execute(c, "LISTEN " + quote(name)))
                    .then();
            return listenAll.then(Mono.fromRunnable(() -> becomeConnected(c, names)))
                    .onErrorResume(e -> Mono.from(c.close()).onErrorResume(x -> Mono.empty()).then(Mono.error(e)));
        }).then();
    }

    private void becomeConnected(Connection c, List<String> listened) {
        List<Channel> toWake;
        boolean wasReconnect;
        synchronized (lock) {
            if (stopped) {
                Mono.from(c.close()).subscribe();
                return;
            }
            wasReconnect = everConnected;
            everConnected = true;
            connection = c;
            connected = true;
            for (Channel ch : channels.values()) {
                if (listened.contains(ch.name)) {
                    ch.armed = true;
                    ch.waitingForArm.forEach(Sinks.One::tryEmitEmpty);
                    ch.waitingForArm.clear();
                } else {
                    // Registered while connecting: its waiters already poll; LISTEN it now.
                    enqueue(listenCommand(ch));
                }
            }
            toWake = new ArrayList<>(channels.values());
            notifications = ((PostgresqlConnection) c).getNotifications()
                    .subscribe(this::route, this::connectionLost, () -> connectionLost(null));
        }
        if (wasReconnect) {
            reconnects.incrementAndGet();
            metrics.reconnected();
            LOG.info("notification listener reconnected; waking {} channel(s) for a catch-up read", toWake.size());
            long now = System.nanoTime();
            toWake.forEach(ch -> {
                ch.lastWakeNanos = now;
                ch.wakes.tryEmitNext(Wake.RECONNECTED);
            });
        }
    }

    private void route(Notification n) {
        Channel ch;
        synchronized (lock) {
            ch = channels.get(n.getName());
        }
        metrics.notification(n.getName());
        if (ch != null) {
            ch.lastWakeNanos = System.nanoTime();
            ch.wakes.tryEmitNext(Wake.NOTIFIED);
        }
    }

    private void connectionLost(@Nullable Throwable error) {
        Connection lost;
        synchronized (lock) {
            if (stopped || !connected) {
                return;
            }
            connected = false;
            lost = connection;
            connection = null;
            // Channels are re-armed by the reconnect; waiters keep polling meanwhile.
            LOG.warn("notification listener lost its connection ({}); reconnecting",
                    error == null ? "closed" : error.toString());
            enqueue(Mono.defer(() -> lost == null ? Mono.<Void>empty()
                            : Mono.from(lost.close()).onErrorResume(e -> Mono.empty()))
                    .then(connectWithRetry()));
        }
    }

    private Mono<Void> listenCommand(Channel ch) {
        return Mono.defer(() -> {
            Connection c;
            synchronized (lock) {
                c = connection;
                if (c == null || !connected || ch.refs == 0 || channels.get(ch.name) != ch) {
                    // Disconnected: the reconnect will LISTEN it; released meanwhile: nothing to do. Either way the
                    // waiters must not wait for an arm that may never come.
                    ch.waitingForArm.forEach(Sinks.One::tryEmitEmpty);
                    ch.waitingForArm.clear();
                    return Mono.empty();
                }
            }
            return execute(c, "LISTEN " + quote(ch.name)).doFinally(s -> {
                synchronized (lock) {
                    ch.armed = true;
                    ch.waitingForArm.forEach(Sinks.One::tryEmitEmpty);
                    ch.waitingForArm.clear();
                }
            });
        });
    }

    private Mono<Void> unlistenCommand(String name) {
        return Mono.defer(() -> {
            Connection c;
            synchronized (lock) {
                c = connection;
                if (c == null || !connected || channels.containsKey(name)) {
                    // Re-registered meanwhile (its LISTEN is still in force) or disconnected: nothing to undo.
                    return Mono.empty();
                }
            }
            return execute(c, "UNLISTEN " + quote(name));
        });
    }

    private static Mono<Void> execute(Connection c, String sql) {
        return Flux.from(c.createStatement(sql).execute()).concatMap(r -> r.getRowsUpdated()).then();
    }

    /** Channel names are generated by {@code Channels} ({@code [a-z0-9_]}); quoting keeps them exact. */
    private static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** Applies {@code action} to every channel's name; for tests and gauges. */
    void forEachChannel(Consumer<String> action) {
        synchronized (lock) {
            channels.keySet().forEach(action);
        }
    }
}
