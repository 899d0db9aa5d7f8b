package io.flowfabric.postgres.streams;

import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * The poll fallback of parked tails and follows (spec 05 §6, 1 s), shared by every waiter of the engine.
 *
 * <p>Polling per waiter would cost one frame read per parked tail per second: a thousand parked tails would keep the
 * pool busy all the time. Instead each parked waiter registers the {@link Signature} its last read saw, and while any
 * waiter is registered one loop reads the current signatures of all watched streams with one statement per
 * interval ({@value #CHUNK} streams per statement) and wakes the waiters whose stream has changed since their read.
 * A change is therefore noticed within one interval even when its notification was lost, while parked waiters hold
 * no connection and the whole engine holds one for a moment per interval.
 *
 * <p>The loop runs only while waiters are registered. A failed poll is logged and retried at the next interval; once
 * the engine is stopping, a poll wakes every waiter instead, so that its next read ends it with
 * {@code UnavailableException(SHUTTING_DOWN)}.
 */
final class StreamWatch {

    private static final Logger LOG = LoggerFactory.getLogger(StreamWatch.class);
    private static final int CHUNK = 500;

    private static final String SIGNATURES = """
            SELECT k.pk, k.id, k.ai, coalesce(m.next_seq, 1) AS next_seq, a.ended_at_ms IS NOT NULL AS closed
            FROM unnest($1::smallint[], $2::uuid[], $3::int[]) AS k(pk, id, ai)
            LEFT JOIN {s}.ff_stream_meta m
              ON m.partition_key = k.pk AND m.execution_id = k.id AND m.attempt_index = k.ai
            LEFT JOIN {s}.ff_attempt a
              ON a.partition_key = k.pk AND a.execution_id = k.id AND a.attempt_index = k.ai""";

    /** A stream: execution and attempt. */
    record Key(ExecutionId executionId, int attemptIndex) {
    }

    /**
     * What a read saw of a stream: the next sequence number to be allocated (1 before the first append) and whether
     * its attempt had ended. Any append or the close changes it.
     */
    record Signature(long nextSeq, boolean closed) {
    }

    /** One parked waiter. */
    private record Parked(Signature seen, MonoSink<Boolean> sink) {
    }

    private final Database db;
    private final String signaturesSql;
    private final Duration interval;
    private final Object lock = new Object();
    private final Map<Key, List<Parked>> parked = new HashMap<>();
    private boolean polling;

    StreamWatch(Database db, SqlTemplate sql, Duration interval) {
        this.db = db;
        this.signaturesSql = sql.render(SIGNATURES);
        this.interval = interval;
    }

    /**
     * Emits {@code true} once a poll finds the stream's signature different from {@code seen}; never errors.
     * Cancelling deregisters the waiter.
     */
    Mono<Boolean> changed(Key key, Signature seen) {
        return Mono.create(sink -> {
            Parked entry = new Parked(seen, sink);
            boolean start;
            synchronized (lock) {
                parked.computeIfAbsent(key, k -> new ArrayList<>()).add(entry);
                start = !polling;
                polling = true;
            }
            sink.onDispose(() -> remove(key, entry));
            if (start) {
                loop();
            }
        });
    }

    private void remove(Key key, Parked entry) {
        synchronized (lock) {
            List<Parked> list = parked.get(key);
            if (list != null && list.remove(entry) && list.isEmpty()) {
                parked.remove(key);
            }
        }
    }

    /** Streams with at least one parked waiter; for tests. */
    int watchedStreams() {
        synchronized (lock) {
            return parked.size();
        }
    }

    /** Wait one interval, poll, and again while anyone is parked; a new loop starts with the next registration. */
    private void loop() {
        Mono.delay(interval)
                .then(Mono.defer(this::pollOnce))
                .onErrorResume(e -> {
                    if (e instanceof UnavailableException u && u.kind() == UnavailableException.Kind.SHUTTING_DOWN) {
                        // The engine is stopping: wake everyone, so each waiter's next read ends it.
                        wakeAll();
                    } else {
                        LOG.debug("stream watch poll failed; retrying at the next interval: {}", e.toString());
                    }
                    return Mono.empty();
                })
                .subscribe(null, null, () -> {
                    boolean again;
                    synchronized (lock) {
                        again = !parked.isEmpty();
                        polling = again;
                    }
                    if (again) {
                        loop();
                    }
                });
    }

    private Mono<Void> pollOnce() {
        List<Key> keys;
        synchronized (lock) {
            keys = new ArrayList<>(parked.keySet());
        }
        return Flux.fromIterable(keys)
                .buffer(CHUNK)
                .concatMap(this::signatures)
                .doOnNext(current -> wakeChanged(current.key(), current.signature()))
                .then();
    }

    private record Current(Key key, Signature signature) {
    }

    private Flux<Current> signatures(List<Key> keys) {
        Short[] partitions = new Short[keys.size()];
        UUID[] ids = new UUID[keys.size()];
        Integer[] attempts = new Integer[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get(i);
            partitions[i] = (short) key.executionId().partition();
            ids[i] = key.executionId().uuid();
            attempts[i] = key.attemptIndex();
        }
        return db.inTransaction("stream_watch", tx -> tx.query(signaturesSql, r -> new Current(
                new Key(ExecutionId.of(r.get("pk", Short.class), r.get("id", UUID.class)), r.get("ai", Integer.class)),
                new Signature(r.get("next_seq", Long.class), Boolean.TRUE.equals(r.get("closed", Boolean.class)))),
                partitions, ids, attempts));
    }

    private void wakeAll() {
        List<Parked> toWake = new ArrayList<>();
        synchronized (lock) {
            parked.values().forEach(toWake::addAll);
        }
        toWake.forEach(entry -> entry.sink().success(Boolean.TRUE));
    }

    private void wakeChanged(Key key, Signature current) {
        List<Parked> toWake = new ArrayList<>();
        synchronized (lock) {
            List<Parked> list = parked.get(key);
            if (list == null) {
                return;
            }
            for (Parked entry : list) {
                if (!entry.seen().equals(current)) {
                    toWake.add(entry);
                }
            }
        }
        // Outside the lock: success runs the sink's dispose hook, which takes the lock to deregister.
        toWake.forEach(entry -> entry.sink().success(Boolean.TRUE));
    }
}
