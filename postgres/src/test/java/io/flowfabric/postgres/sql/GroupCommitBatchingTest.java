package io.flowfabric.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The grouping rules of {@link GroupCommit}, with stand-in statements (no database: the statements' own behaviour is
 * tested against PostgreSQL in {@code GroupCommitTest}). A call is a string; its key is the part before '#'.
 */
class GroupCommitBatchingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Stand-in statements whose completion the test controls, recording what each statement carried. */
    private static final class Statements {
        final List<List<String>> groups = Collections.synchronizedList(new ArrayList<>());
        final List<String> alone = Collections.synchronizedList(new ArrayList<>());
        final List<String> rest = Collections.synchronizedList(new ArrayList<>());
        final ConcurrentLinkedQueue<Sinks.Empty<Void>> open = new ConcurrentLinkedQueue<>();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        volatile boolean failGroups;
        volatile String leaveAlone = "";

        /** A statement that ends when the test releases it. */
        private Mono<Void> statement() {
            Sinks.Empty<Void> done = Sinks.empty();
            open.add(done);
            return done.asMono()
                    .doOnSubscribe(s -> maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max))
                    // Before the end propagates (doFinally would run after the next statement already started).
                    .doOnTerminate(running::decrementAndGet)
                    .doOnCancel(running::decrementAndGet);
        }

        Mono<String> one(String call) {
            return Mono.defer(() -> {
                alone.add(call);
                return statement().thenReturn("one:" + call);
            });
        }

        Mono<String> rest(String call) {
            return Mono.fromCallable(() -> {
                rest.add(call);
                return "rest:" + call;
            });
        }

        Mono<Map<Object, String>> many(List<String> calls) {
            return Mono.defer(() -> {
                groups.add(List.copyOf(calls));
                return statement().then(Mono.defer(() -> {
                    if (failGroups) {
                        return Mono.error(new IllegalStateException("the group's statement failed"));
                    }
                    Map<Object, String> settled = new HashMap<>();
                    calls.stream().filter(c -> !c.equals(leaveAlone)).forEach(c -> settled.put(key(c), "many:" + c));
                    return Mono.just(settled);
                }));
            });
        }

        /** Releases every statement running now. */
        void releaseAll() {
            Sinks.Empty<Void> next;
            while ((next = open.poll()) != null) {
                next.tryEmitEmpty();
            }
        }
    }

    private static String key(String call) {
        int hash = call.indexOf('#');
        return hash < 0 ? call : call.substring(0, hash);
    }

    private static GroupCommit<String, String> grouping(Statements s, int inFlight) {
        return new GroupCommit<>(inFlight, 4, 100, GroupCommitBatchingTest::key, String::length, s::one, s::rest,
                s::many);
    }

    /** Subscribes to every call and returns their outcomes once all ended, releasing statements meanwhile. */
    private static List<String> run(Statements s, List<Mono<String>> calls) {
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ended = new AtomicInteger();
        calls.forEach(c -> c.onErrorResume(e -> Mono.just("error:" + e.getMessage()))
                .doFinally(x -> ended.incrementAndGet()).subscribe(outcomes::add));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (ended.get() < calls.size() && System.nanoTime() < deadline) {
            s.releaseAll();
            Thread.onSpinWait();
        }
        assertThat(ended.get()).as("calls ended").isEqualTo(calls.size());
        return outcomes;
    }

    @Test
    @DisplayName("a call that finds a free slot runs alone at once")
    void idleCallRunsAlone() {
        Statements s = new Statements();
        GroupCommit<String, String> grouping = grouping(s, 2);
        StepVerifier.create(grouping.submit("a"))
                .then(s::releaseAll)
                .expectNext("one:a")
                .verifyComplete();
        assertThat(s.groups).isEmpty();
    }

    @Test
    @DisplayName("calls that queue behind busy slots share statements of at most maxBatch, never more than maxInFlight at once")
    void queuedCallsShareStatements() {
        Statements s = new Statements();
        GroupCommit<String, String> grouping = grouping(s, 2);
        List<Mono<String>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(grouping.submit("c" + i));
        }
        List<String> outcomes = run(s, calls);

        assertThat(outcomes).hasSize(20);
        assertThat(s.maxRunning.get()).isLessThanOrEqualTo(2);
        assertThat(s.groups).isNotEmpty().allSatisfy(group -> assertThat(group).hasSizeBetween(2, 4));
        int grouped = s.groups.stream().mapToInt(List::size).sum();
        assertThat(grouped + s.alone.size()).isEqualTo(20);
        for (int i = 0; i < 20; i++) {
            assertThat(outcomes).containsOnlyOnce(s.alone.contains("c" + i) ? "one:c" + i : "many:c" + i);
        }
    }

    @Test
    @DisplayName("two calls with the same key never share a statement")
    void sameKeyNeverShares() {
        Statements s = new Statements();
        GroupCommit<String, String> grouping = grouping(s, 1);
        List<Mono<String>> calls = List.of(grouping.submit("first"), grouping.submit("x#1"), grouping.submit("x#2"),
                grouping.submit("y"));
        List<String> outcomes = run(s, calls);

        assertThat(outcomes).hasSize(4);
        assertThat(s.groups).allSatisfy(group -> assertThat(group.stream().map(GroupCommitBatchingTest::key))
                .doesNotHaveDuplicates());
    }

    @Test
    @DisplayName("a call the group's statement left alone takes the rest path; the others keep the group's outcome")
    void unsettledCallTakesTheRestPath() {
        Statements s = new Statements();
        s.leaveAlone = "b";
        GroupCommit<String, String> grouping = grouping(s, 1);
        List<String> outcomes = run(s, List.of(grouping.submit("first"), grouping.submit("a"), grouping.submit("b"),
                grouping.submit("c")));

        assertThat(s.groups).containsExactly(List.of("a", "b", "c"));
        assertThat(outcomes).containsExactlyInAnyOrder("one:first", "many:a", "rest:b", "many:c");
        assertThat(s.rest).containsExactly("b");
    }

    @Test
    @DisplayName("when the group's statement fails as a whole, each of its calls runs alone")
    void failedGroupRunsEachAlone() {
        Statements s = new Statements();
        s.failGroups = true;
        GroupCommit<String, String> grouping = grouping(s, 1);
        List<String> outcomes = run(s, List.of(grouping.submit("first"), grouping.submit("a"), grouping.submit("b")));

        assertThat(s.groups).containsExactly(List.of("a", "b"));
        assertThat(outcomes).containsExactlyInAnyOrder("one:first", "one:a", "one:b");
    }

    @Test
    @DisplayName("payload bytes bound a group; a larger call still runs, alone")
    void bytesBoundAGroup() {
        Statements s = new Statements();
        GroupCommit<String, String> grouping = grouping(s, 1);
        String big = "b".repeat(150);
        List<String> outcomes = run(s, List.of(grouping.submit("first"), grouping.submit("a".repeat(60)),
                grouping.submit("c".repeat(60)), grouping.submit(big)));

        assertThat(outcomes).hasSize(4);
        assertThat(s.groups).allSatisfy(group -> assertThat(group.stream().mapToInt(String::length).sum())
                .isLessThanOrEqualTo(100));
        assertThat(s.alone).contains(big);
    }

    @Test
    @DisplayName("a call cancelled while it queues is never sent")
    void cancelledWhileQueuedIsDropped() {
        Statements s = new Statements();
        GroupCommit<String, String> grouping = grouping(s, 1);
        grouping.submit("first").subscribe();
        grouping.submit("dropped").subscribe().dispose();
        List<String> outcomes = run(s, List.of(grouping.submit("kept")));

        assertThat(outcomes).containsExactly("one:kept");
        assertThat(s.alone).doesNotContain("dropped");
        assertThat(s.groups).noneSatisfy(group -> assertThat(group).contains("dropped"));
        assertThat(Flux.fromIterable(s.alone).collectList().block()).contains("first", "kept");
    }
}
