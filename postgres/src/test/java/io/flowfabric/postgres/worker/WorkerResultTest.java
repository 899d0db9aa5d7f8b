package io.flowfabric.postgres.worker;

import static io.flowfabric.postgres.EngineFixture.create;
import static io.flowfabric.postgres.EngineFixture.lane;
import static io.flowfabric.postgres.worker.WorkerTestSupport.TIMEOUT;
import static io.flowfabric.postgres.worker.WorkerTestSupport.completionEvents;
import static io.flowfabric.postgres.worker.WorkerTestSupport.create;
import static io.flowfabric.postgres.worker.WorkerTestSupport.eventually;
import static io.flowfabric.postgres.worker.WorkerTestSupport.execRow;
import static io.flowfabric.postgres.worker.WorkerTestSupport.publicState;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.EndReason;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.EngineFixture;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestClock;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What a handler's result becomes (TaskHandler's conversion rules), what {@code TaskContext.append} writes to the
 * attempt's stream, and where handlers run when the runtime is given a scheduler.
 */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerResultTest {

    private static final byte[] BINARY = {0, 1, 2, (byte) 0xfe, (byte) 0xff};
    private static final byte[] JSON = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

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

    private Optional<Payload> result(ExecutionId id) {
        return engine.executions().getExecutionResult(id).block(TIMEOUT);
    }

    @Test
    @DisplayName("String becomes UTF-8 text/plain, byte[] binary, Payload keeps its encoding, another object its toString, an empty Mono no result")
    void convertsResults() {
        String lane = lane("results");
        ExecutionId text = create(engine, lane, "text", "x");
        ExecutionId bytes = create(engine, lane, "bytes", "x");
        ExecutionId payload = create(engine, lane, "payload", "x");
        ExecutionId object = create(engine, lane, "object", "x");
        ExecutionId empty = create(engine, lane, "empty", "x");
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("results-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("text", ctx -> Mono.just("héllo wörld ✓"))
                .handler("bytes", ctx -> Mono.just(BINARY))
                .handler("payload", ctx -> Mono.just(new Payload(JSON, "application/json")))
                .handler("object", ctx -> Mono.just(42L))
                .handler("empty", ctx -> Mono.empty())
                .build().start();
        try {
            eventually().until(() -> db.queryLong("SELECT count(*) FROM flowfabric.ff_exec_core"
                    + " WHERE lane_id = ? AND public_state = 'completed'", lane) == 5);
        } finally {
            runtime.close();
        }

        assertThat(execRow(db, text, "result_payload, result_encoding")).containsEntry("result_encoding", "text/plain")
                .containsEntry("result_payload", "héllo wörld ✓".getBytes(StandardCharsets.UTF_8));
        assertThat(result(text)).hasValueSatisfying(p -> assertThat(p.utf8()).isEqualTo("héllo wörld ✓"));

        assertThat(execRow(db, bytes, "result_payload, result_encoding")).containsEntry("result_encoding", "binary")
                .containsEntry("result_payload", BINARY);
        assertThat(result(bytes)).hasValueSatisfying(p -> {
            assertThat(p.bytes()).isEqualTo(BINARY);
            assertThat(p.encoding()).isEqualTo("binary");
        });

        assertThat(execRow(db, payload, "result_payload, result_encoding"))
                .containsEntry("result_encoding", "application/json").containsEntry("result_payload", JSON);

        assertThat(execRow(db, object, "result_encoding, convert_from(result_payload, 'UTF8') AS result"))
                .containsEntry("result_encoding", "text/plain").containsEntry("result", "42");

        assertThat(execRow(db, empty, "public_state, result_payload, result_encoding"))
                .containsEntry("public_state", "completed").containsEntry("result_payload", null)
                .containsEntry("result_encoding", null);
        assertThat(result(empty)).isEmpty();
        for (ExecutionId id : List.of(text, bytes, payload, object, empty)) {
            assertThat(completionEvents(db, id, "success")).as("success events of %s", id).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("TaskContext.append writes durable frames to the attempt's stream, readable with readStream; the stream closes with the attempt")
    void appendWritesStreamFrames() {
        String lane = lane("stream");
        ExecutionId id = create(engine, lane, "streamer", "x");
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("stream-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .handler("streamer", ctx -> ctx.append("first line")
                        .then(ctx.append("chunk", BINARY, "binary"))
                        .then(ctx.append("token", "{\"t\":\"x\"}".getBytes(StandardCharsets.UTF_8), "json"))
                        .thenReturn("streamed"))
                .build().start();
        try {
            eventually().until(() -> "completed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }

        StreamFrames read = engine.streams().readStream(id, 0, StreamCursor.START, StreamCursor.END, 100,
                Visibility.ALL).block(TIMEOUT);
        List<StreamFrame> frames = read.frames();
        assertThat(frames).extracting(StreamFrame::frameType).containsExactly("event", "chunk", "token");
        assertThat(frames).extracting(StreamFrame::encoding).containsExactly("utf8", "binary", "json");
        assertThat(frames.get(0).utf8()).isEqualTo("first line");
        assertThat(frames.get(1).payload()).isEqualTo(BINARY);
        assertThat(frames.get(2).utf8()).isEqualTo("{\"t\":\"x\"}");
        assertThat(read.closed()).as("the stream is closed once its attempt completed").isTrue();
        assertThat(read.closedReason()).isEqualTo(EndReason.COMPLETED);
        assertThat(execRow(db, id, "convert_from(result_payload, 'UTF8') AS result"))
                .isEqualTo(Map.of("result", "streamed"));
    }

    @Test
    @DisplayName("with scheduler(boundedElastic) a blocking handler is called and runs on a boundedElastic thread")
    void blockingHandlerRunsOnTheGivenScheduler() {
        String lane = lane("blocking");
        ExecutionId id = create(engine, lane, "blocking", "x");
        AtomicReference<String> calledOn = new AtomicReference<>();
        AtomicReference<String> ranOn = new AtomicReference<>();
        WorkerRuntime runtime = WorkerRuntime.builder(engine)
                .workerId("blocking-worker").lane(lane).idleWait(Duration.ofSeconds(5))
                .scheduler(Schedulers.boundedElastic())
                .handler("blocking", ctx -> {
                    calledOn.set(Thread.currentThread().getName());
                    return Mono.fromCallable(() -> {
                        ranOn.set(Thread.currentThread().getName());
                        // block() is refused on non-blocking (event loop, parallel) threads: it only succeeds here
                        // because the handler runs on the blocking-capable scheduler it was given.
                        return Mono.delay(Duration.ofMillis(50)).thenReturn("blocked-ok").block();
                    });
                })
                .build().start();
        try {
            eventually().until(() -> "completed".equals(publicState(db, id)));
        } finally {
            runtime.close();
        }

        assertThat(calledOn.get()).startsWith("boundedElastic-");
        assertThat(ranOn.get()).startsWith("boundedElastic-");
        assertThat(execRow(db, id, "convert_from(result_payload, 'UTF8') AS result"))
                .isEqualTo(Map.of("result", "blocked-ok"));
    }
}
