package io.flowfabric.postgres.notify;

import io.flowfabric.postgres.sql.Database;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs a piece of background work whenever a channel is notified: at once after a local commit that notified it
 * (no NOTIFY round trip), and on NOTIFYs from other nodes through the hub. Runs never overlap; triggers that arrive
 * during a run collapse into one more run. Failures are logged and left to the work's periodic backstop job.
 */
public final class WakeTriggers {

    private static final Logger LOG = LoggerFactory.getLogger(WakeTriggers.class);

    private WakeTriggers() {
    }

    /**
     * Starts running {@code work} on every trigger of {@code channel}; dispose the result to stop.
     *
     * @param what names the work in log lines
     */
    public static Disposable onChannel(Database db, @Nullable NotificationHub hub, String channel, String what,
                                       Supplier<Mono<?>> work) {
        Flux<Object> local = db.localCommits().filter(set -> set.contains(channel)).map(set -> set);
        Flux<Object> remote = hub == null ? Flux.never() : hub.listen(channel).map(w -> w);
        return Flux.merge(local, remote)
                .onBackpressureLatest()
                .concatMap(trigger -> Mono.defer(work).then().onErrorResume(e -> {
                    LOG.debug("{} failed; its periodic job retries: {}", what, e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
    }
}
