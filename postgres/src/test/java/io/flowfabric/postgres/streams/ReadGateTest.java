package io.flowfabric.postgres.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class ReadGateTest {

    @Test
    @DisplayName("at most `permits` reads run at once; the rest queue and run in order as permits return")
    void limitsConcurrentReads() {
        ReadGate gate = new ReadGate(2);
        AtomicInteger running = new AtomicInteger();
        List<Sinks.One<String>> reads = new ArrayList<>();
        List<String> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Sinks.One<String> read = Sinks.one();
            reads.add(read);
            gate.run(() -> {
                running.incrementAndGet();
                return read.asMono().doOnTerminate(running::decrementAndGet);
            }).subscribe(results::add, error -> results.add("error: " + error.getMessage()));
        }
        assertThat(running).hasValue(2);
        assertThat(gate.queued()).isEqualTo(3);
        reads.get(0).tryEmitValue("r0");
        assertThat(running).hasValue(2);
        assertThat(gate.queued()).isEqualTo(2);
        reads.get(1).tryEmitError(new IllegalStateException("read failed"));
        reads.get(2).tryEmitValue("r2");
        reads.get(3).tryEmitValue("r3");
        reads.get(4).tryEmitValue("r4");
        assertThat(results).containsExactly("r0", "error: read failed", "r2", "r3", "r4");
        assertThat(running).hasValue(0);
        assertThat(gate.available()).isEqualTo(2);
        assertThat(gate.queued()).isZero();
    }

    @Test
    @DisplayName("cancelling a queued read leaves the queue; cancelling a running read returns its permit")
    void cancellationReleases() {
        ReadGate gate = new ReadGate(1);
        Disposable running = gate.run(() -> Mono.never()).subscribe();
        Disposable queued = gate.run(() -> Mono.just("never runs")).subscribe();
        assertThat(gate.available()).isZero();
        assertThat(gate.queued()).isEqualTo(1);
        queued.dispose();
        assertThat(gate.queued()).isZero();
        running.dispose();
        assertThat(gate.available()).isEqualTo(1);
        assertThat(gate.run(() -> Mono.just("ok")).block(Duration.ofSeconds(1))).isEqualTo("ok");
        assertThat(gate.available()).isEqualTo(1);
    }

    @Test
    void manyConcurrentCallersNeverExceedTheLimit() {
        ReadGate gate = new ReadGate(4);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        List<Mono<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            calls.add(gate.run(() -> Mono.fromCallable(() -> {
                peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                return n;
            }).delayElement(Duration.ofMillis(1)).doOnTerminate(running::decrementAndGet)));
        }
        Integer done = Mono.zip(calls, values -> values.length).block(Duration.ofSeconds(30));
        assertThat(done).isEqualTo(200);
        assertThat(peak.get()).isBetween(1, 4);
        // The last permits return right after the last value was delivered.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gate.available()).isEqualTo(4));
    }
}
