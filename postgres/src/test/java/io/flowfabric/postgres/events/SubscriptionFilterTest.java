package io.flowfabric.postgres.events;

import static io.flowfabric.postgres.events.EventTestSupport.TIMEOUT;
import static io.flowfabric.postgres.events.EventTestSupport.claimRequest;
import static io.flowfabric.postgres.events.EventTestSupport.createAndCancel;
import static io.flowfabric.postgres.events.EventTestSupport.nowCursor;
import static io.flowfabric.postgres.events.EventTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.LeaseEvent;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.LeaseEventType;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.test.StepVerifier;

/**
 * Filters run in SQL and leak nothing. Each consumer reads until a terminator event of its own that was committed
 * after every other event, so any leaked event (which sorts before the terminator) would have been received.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriptionFilterTest {

    private static final String INSTANCE_TAG_KEY = "cairn.instance_id";

    private PostgresEngine engine;
    private TestDatabase db;

    @BeforeAll
    void start(TestDatabase db, TestClock clock) {
        this.db = db;
        engine = EngineFixture.start(db, clock);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @Test
    @DisplayName("SB-02 a subscription filtered on namespace a sees only a's completions, b's only b's, interleaved writes")
    void namespaceFilter() {
        String suffix = unique("");
        String a = "a" + suffix;
        String b = "b" + suffix;
        String lane = unique("sb02");
        EventCursor start = nowCursor(db);
        Set<ExecutionId> inA = new HashSet<>();
        Set<ExecutionId> inB = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            inA.add(createAndCancel(engine, a, lane).block(TIMEOUT));
            inB.add(createAndCancel(engine, b, lane).block(TIMEOUT));
        }
        // Terminators, each committed after everything of the other namespace.
        ExecutionId endA = createAndCancel(engine, a, lane).block(TIMEOUT);
        ExecutionId endB = createAndCancel(engine, b, lane).block(TIMEOUT);
        inA.add(endA);
        inB.add(endB);

        List<CompletionEvent> seenA = completionsUntil(SubscribeRequest.builder().cursor(start).namespace(a), endA);
        List<CompletionEvent> seenB = completionsUntil(SubscribeRequest.builder().cursor(start).namespace(b), endB);

        assertThat(seenA).extracting(e -> e.payload().executionId()).containsExactlyInAnyOrderElementsOf(inA);
        assertThat(seenA).extracting(e -> e.payload().namespace()).containsOnly(a);
        assertThat(seenB).extracting(e -> e.payload().executionId()).containsExactlyInAnyOrderElementsOf(inB);
        assertThat(seenB).extracting(e -> e.payload().namespace()).containsOnly(b);
    }

    @Test
    @DisplayName("SB-10 consumers filtered by instance tags i-1 and i-2 each see only their executions' completion and lease events")
    void instanceTagFilter() {
        String namespace = unique("sb10");
        EventCursor start = nowCursor(db);
        Map<String, String> lanes = Map.of("i-1", unique("sb10-1"), "i-2", unique("sb10-2"), "none", unique("sb10-0"));
        Map<String, Set<ExecutionId>> byTag = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (String tag : List.of("i-1", "i-2", "none")) {
                byTag.computeIfAbsent(tag, t -> new HashSet<>()).add(runToCompletion(namespace, lanes.get(tag),
                        "none".equals(tag) ? null : tag));
            }
        }
        Map<String, ExecutionId> terminators = new HashMap<>();
        for (String tag : List.of("i-1", "i-2")) {
            ExecutionId end = runToCompletion(namespace, lanes.get(tag), tag);
            terminators.put(tag, end);
            byTag.get(tag).add(end);
        }

        for (String tag : List.of("i-1", "i-2")) {
            ExecutionId end = terminators.get(tag);
            List<CompletionEvent> completions = completionsUntil(
                    SubscribeRequest.builder().cursor(start).instanceTag(tag), end);
            assertThat(completions).as("completions of %s", tag).extracting(e -> e.payload().executionId())
                    .containsExactlyInAnyOrderElementsOf(byTag.get(tag));
            assertThat(completions).extracting(e -> e.payload().instanceTag()).containsOnly(tag);
            assertThat(completions).extracting(e -> e.payload().outcome()).containsOnly(TerminalOutcome.SUCCESS);

            List<LeaseEvent> leases = engine.subscriptions()
                    .subscribeLeaseHistory(SubscribeRequest.builder().cursor(start).instanceTag(tag).build())
                    .takeUntil(e -> e.executionId().equals(end) && e.type() == LeaseEventType.RELEASED)
                    .collectList()
                    .block(TIMEOUT);
            assertThat(leases).as("lease events of %s", tag).hasSize(2 * byTag.get(tag).size());
            assertThat(leases).extracting(LeaseEvent::executionId).allMatch(byTag.get(tag)::contains);
            assertThat(leases).extracting(LeaseEvent::instanceTag).containsOnly(tag);
            Map<ExecutionId, List<LeaseEventType>> types = new HashMap<>();
            leases.forEach(e -> types.computeIfAbsent(e.executionId(), k -> new ArrayList<>()).add(e.type()));
            assertThat(types.values()).allSatisfy(t -> assertThat(t)
                    .containsExactly(LeaseEventType.ACQUIRED, LeaseEventType.RELEASED));
        }

        // Untagged executions carry no instance tag on their events.
        ExecutionId untagged = byTag.get("none").iterator().next();
        assertThat(db.queryValue("SELECT instance_tag FROM flowfabric.ff_completion_event WHERE partition_key = ?"
                + " AND execution_id = ?", untagged.partition(), untagged.uuid())).isEmpty();
    }

    @Test
    @DisplayName("SB-02 outcome and execution filters run in SQL: success-only sees only completions, cancelled-only only cancels, an execution filter only that execution")
    void outcomeAndExecutionFilters() {
        String namespace = unique("sb02o");
        String lane = unique("sb02o");
        EventCursor start = nowCursor(db);
        ExecutionId cancelled1 = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        ExecutionId succeeded1 = runToCompletion(namespace, lane, null);
        ExecutionId cancelled2 = createAndCancel(engine, namespace, lane).block(TIMEOUT);
        ExecutionId succeeded2 = runToCompletion(namespace, lane, null);

        List<CompletionEvent> successes = completionsUntil(SubscribeRequest.builder().cursor(start)
                .namespace(namespace).outcomes(TerminalOutcome.SUCCESS), succeeded2);
        assertThat(successes).extracting(e -> e.payload().executionId()).containsExactly(succeeded1, succeeded2);
        assertThat(successes).allSatisfy(e -> {
            assertThat(e.payload().attemptIndex()).as("the attempt that ran").isZero();
            assertThat(e.payload().flowId()).isNull();
        });
        List<CompletionEvent> cancels = completionsUntil(SubscribeRequest.builder().cursor(start)
                .namespace(namespace).outcomes(TerminalOutcome.CANCELLED, TerminalOutcome.FAILED), cancelled2);
        assertThat(cancels).extracting(e -> e.payload().executionId()).containsExactly(cancelled1, cancelled2);
        assertThat(cancels).allSatisfy(e -> assertThat(e.payload().attemptIndex())
                .as("no attempt ever ran").isNull());
        // An execution filter: its single event, nothing else even though later events exist.
        StepVerifier.create(engine.subscriptions().subscribeCompletions(SubscribeRequest.builder().cursor(start)
                        .executionId(cancelled2).build()))
                .assertNext(e -> assertThat(e.payload().executionId()).isEqualTo(cancelled2))
                .expectNoEvent(Duration.ofMillis(1200))
                .thenCancel()
                .verify(TIMEOUT);
    }

    /** Creates, claims and completes one execution; returns its id. */
    private ExecutionId runToCompletion(String namespace, String lane, @Nullable String instanceTag) {
        CreateExecution.Builder create = CreateExecution.builder(lane).namespace(namespace);
        if (instanceTag != null) {
            create.tag(INSTANCE_TAG_KEY, instanceTag);
        }
        return engine.executions().createExecution(create.build())
                .then(engine.workers().claim(claimRequest(lane, "w")))
                .flatMap(claimed -> engine.workers().complete(claimed.fence(), null, null)
                        .thenReturn(claimed.executionId()))
                .block(TIMEOUT);
    }

    private List<CompletionEvent> completionsUntil(SubscribeRequest.Builder request, ExecutionId terminator) {
        return engine.subscriptions().subscribeCompletions(request.build())
                .takeUntil(e -> e.payload().executionId().equals(terminator))
                .collectList()
                .block(TIMEOUT);
    }
}
