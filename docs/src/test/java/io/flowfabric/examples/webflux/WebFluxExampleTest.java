package io.flowfabric.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;

@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebFluxExampleTest {

    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
            new ParameterizedTypeReference<>() { };
    private static final Duration WAIT = Duration.ofSeconds(30);

    private PostgresEngine engine;
    private WorkerRuntime worker;

    @BeforeAll
    void start(TestDatabase db) {
        engine = PostgresEngine.builder().url(db.r2dbcUrl()).build();
        engine.start().block(Duration.ofMinutes(1));
        worker = WebFluxExample.worker(engine, Duration.ofMillis(100)).start();
    }

    @AfterAll
    void stop() {
        worker.close();
        engine.close();
    }

    @Test
    @DisplayName("POST creates an execution; its completion and its frames arrive as server-sent events")
    void createsAndStreams() {
        WebTestClient client = WebTestClient.bindToRouterFunction(ExecutionRoutes.routes(engine, WebFluxExample.LANE))
                .configureClient().responseTimeout(WAIT).build();

        // Listen first: the subscription starts from now.
        Flux<ServerSentEvent<String>> completions = client.get().uri("/completions")
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .returnResult(SSE)
                .getResponseBody()
                .replay()
                .autoConnect(0);

        String created = client.post().uri("/executions")
                .contentType(MediaType.TEXT_PLAIN)
                .bodyValue("hello, flowfabric")
                .exchange()
                .expectStatus().isCreated()
                .expectHeader().contentType(MediaType.APPLICATION_JSON)
                .expectBody(String.class).returnResult().getResponseBody();
        String id = field(created, "executionId");
        assertThat(field(created, "state")).isEqualTo("waiting");
        assertThat(field(created, "created")).isEqualTo("true");

        // The attempt's frames, in order, each with its frame id as the event id; then the close reason.
        List<ServerSentEvent<String>> frames = client.get().uri("/executions/{id}/attempts/{n}/stream", id, 0)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus().isOk()
                .returnResult(SSE)
                .getResponseBody()
                .collectList()
                .block(WAIT);
        assertThat(frames).extracting(ServerSentEvent::data).containsExactly("received 17 bytes (text/plain)",
                "working: step 1 of 2", "working: step 2 of 2", "done", "completed");
        assertThat(frames).extracting(ServerSentEvent::event).containsExactly("event", "event", "event", "event", "end");
        assertThat(frames.subList(0, 4)).extracting(ServerSentEvent::id)
                .allMatch(frameId -> frameId.matches("\\d+-[1-4]"));

        // A client that saw the first two frames resumes after the second.
        List<String> resumed = client.get().uri("/executions/{id}/attempts/{n}/stream", id, 0)
                .header("Last-Event-ID", frames.get(1).id())
                .exchange()
                .returnResult(SSE)
                .getResponseBody()
                .map(ServerSentEvent::data)
                .collectList()
                .block(WAIT);
        assertThat(resumed).containsExactly("working: step 2 of 2", "done", "completed");

        ServerSentEvent<String> completion = completions.filter(e -> e.data() != null && e.data().contains(id))
                .blockFirst(WAIT);
        assertThat(completion).isNotNull();
        assertThat(completion.event()).isEqualTo("completion");
        assertThat(field(completion.data(), "outcome")).isEqualTo("success");
        assertThat(field(completion.data(), "attempt")).isEqualTo("0");
        assertThat(EventCursor.fromText(completion.id())).as("the event id is the resumable cursor").isNotNull();

        String described = client.get().uri("/executions/{id}", id).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(field(described, "state")).isEqualTo("completed");
        assertThat(field(described, "attempts")).isEqualTo("1");
        assertThat(described).contains("\"result\":{\"encoding\":\"text/plain\",\"data\":\"HELLO, FLOWFABRIC\"}");
    }

    @Test
    @DisplayName("the HTTP server on Reactor Netty serves the same API; links are usable as returned; errors map to 4xx")
    void servesOverHttp() {
        DisposableServer server = WebFluxExample.startServer(engine, "127.0.0.1", 0);
        try {
            String base = "http://127.0.0.1:" + server.port();
            WebTestClient client = WebTestClient.bindToServer().baseUrl(base).responseTimeout(WAIT).build();

            String created = client.post().uri("/executions?kind=fail")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"order\":42}")
                    .exchange()
                    .expectStatus().isCreated()
                    .expectBody(String.class).returnResult().getResponseBody();

            List<ServerSentEvent<String>> frames = client.get().uri(URI.create(base + field(created, "stream")))
                    .exchange()
                    .expectStatus().isOk()
                    .returnResult(SSE)
                    .getResponseBody()
                    .collectList()
                    .block(WAIT);
            assertThat(frames).extracting(ServerSentEvent::data).containsExactly("received 12 bytes", "failed");

            String described = client.get().uri(URI.create(base + field(created, "self"))).exchange()
                    .expectStatus().isOk()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(field(described, "state")).isEqualTo("failed");
            assertThat(field(described, "kind")).isEqualTo("fail");
            assertThat(field(described, "lastFailure")).isEqualTo("asked to fail");

            client.get().uri("/executions/{id}", "{fp:3}:7d0c3b0e-5a54-4e0b-9d1f-3f9a1c2b4e5d").exchange()
                    .expectStatus().isNotFound();
            String invalid = client.get().uri("/executions/not-an-id").exchange()
                    .expectStatus().isBadRequest()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(field(invalid, "error")).isEqualTo("ValidationException");
            client.get().uri("/").exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML);
        } finally {
            server.disposeNow();
        }
    }

    /** One top-level field of the example's flat JSON, as text. */
    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}]+)").matcher(json);
        assertThat(m.find()).as("%s in %s", name, json).isTrue();
        return m.group(2) != null ? m.group(2) : m.group(1);
    }
}
