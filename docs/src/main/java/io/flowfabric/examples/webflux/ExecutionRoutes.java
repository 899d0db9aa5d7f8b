package io.flowfabric.examples.webflux;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.error.ConflictException;
import io.flowfabric.core.error.FlowFabricException;
import io.flowfabric.core.error.NotFoundException;
import io.flowfabric.core.error.StateException;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.events.CompletionEvent;
import io.flowfabric.core.events.CompletionPayload;
import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.streams.StreamCursor;
import io.flowfabric.core.streams.StreamFrame;
import io.flowfabric.core.streams.StreamFrames;
import io.flowfabric.core.streams.Visibility;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP API of the WebFlux example, as functional endpoints over one engine:
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>Request</th><th>Response</th></tr>
 *   <tr><td>{@code POST /executions[?kind=k]}, any body</td><td>201 (or 200 for an {@code Idempotency-Key} seen
 *       before) with {@code {"executionId", "state", "created", "stream"}}; the body becomes the input, its content
 *       type the input encoding</td></tr>
 *   <tr><td>{@code GET /executions/{id}}</td><td>the execution described, with its result once completed; 404 when
 *       unknown</td></tr>
 *   <tr><td>{@code GET /completions[?namespace=n]}</td><td>{@code text/event-stream}: one {@code completion} event per
 *       terminal transition from now on (or after the {@code Last-Event-ID} cursor), its id the cursor</td></tr>
 *   <tr><td>{@code GET /executions/{id}/attempts/{n}/stream}</td><td>{@code text/event-stream}: the attempt's frames
 *       (after {@code Last-Event-ID}), each event named after the frame type with the frame id as its id, then one
 *       {@code end} event with the close reason once the attempt has ended</td></tr>
 *   <tr><td>{@code GET /}</td><td>a small page that does all of this from the browser</td></tr>
 * </table>
 *
 * <p>Every handler composes engine publishers and never blocks; engine errors become 400 (validation), 404 (not
 * found), 409 (state, conflict) or 503 (anything retryable) with {@code {"error", "detail"}}. An execution id such as
 * {@code {fp:7}:0d1c...} contains braces, which URLs must percent-encode; the links this API returns are encoded.
 */
public final class ExecutionRoutes {

    /** The namespace executions created over HTTP get. */
    public static final String NAMESPACE = "web";

    private static final Pattern ENCODING_LABEL = Pattern.compile("[a-z0-9._+/-]{1,32}");
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final FlowFabric engine;
    private final String lane;

    private ExecutionRoutes(FlowFabric engine, String lane) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.lane = Objects.requireNonNull(lane, "lane");
    }

    /** The routes for {@code engine}; executions are created on {@code lane}. */
    public static RouterFunction<ServerResponse> routes(FlowFabric engine, String lane) {
        ExecutionRoutes api = new ExecutionRoutes(engine, lane);
        return RouterFunctions.route()
                .GET("/", api::index)
                .POST("/executions", api::create)
                .GET("/executions/{id}", api::describe)
                .GET("/executions/{id}/attempts/{attempt}/stream", api::stream)
                .GET("/completions", api::completions)
                .onError(FlowFabricException.class, (e, request) -> error((FlowFabricException) e))
                .build();
    }

    /** The path of an attempt's stream, with the execution id's braces percent-encoded. */
    public static String streamPath(ExecutionId id, int attempt) {
        return executionPath(id) + "/attempts/" + attempt + "/stream";
    }

    /** The path of an execution, with the id's braces percent-encoded. */
    public static String executionPath(ExecutionId id) {
        return "/executions/" + id.toString().replace("{", "%7B").replace("}", "%7D");
    }

    // ------------------------------------------------------------------------------------------------ handlers

    private Mono<ServerResponse> create(ServerRequest request) {
        String encoding = request.headers().contentType()
                .map(type -> (type.getType() + "/" + type.getSubtype()).toLowerCase(Locale.ROOT))
                .filter(label -> ENCODING_LABEL.matcher(label).matches())
                .orElse("binary");
        String idempotencyKey = request.headers().firstHeader("Idempotency-Key");
        return request.bodyToMono(byte[].class)
                .defaultIfEmpty(new byte[0])
                .flatMap(body -> engine.executions().createExecution(CreateExecution.builder(lane)
                        .namespace(NAMESPACE)
                        .executionKind(request.queryParam("kind").orElse(CreateExecution.DEFAULT_KIND))
                        .input(body, encoding)
                        .idempotencyKey(idempotencyKey)
                        .creatorIdentity("webflux-example")
                        .build()))
                .flatMap(result -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("executionId", result.executionId().toString());
                    json.put("state", result.publicState().literal());
                    json.put("created", result.created());
                    json.put("self", executionPath(result.executionId()));
                    json.put("stream", streamPath(result.executionId(), 0));
                    ServerResponse.BodyBuilder response = result instanceof CreateResult.Created
                            ? ServerResponse.created(URI.create(executionPath(result.executionId())))
                            : ServerResponse.ok();
                    return response.contentType(MediaType.APPLICATION_JSON).bodyValue(Json.object(json));
                });
    }

    private Mono<ServerResponse> describe(ServerRequest request) {
        return executionId(request)
                .flatMap(id -> engine.executions().describeExecution(id))
                .flatMap(found -> found.isEmpty()
                        ? error(HttpStatus.NOT_FOUND, "not_found", "no such execution")
                        : engine.executions().getExecutionResult(found.get().executionId())
                                .flatMap(result -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                                        .bodyValue(Json.object(describe(found.get(), result)))));
    }

    private static Map<String, Object> describe(ExecutionSnapshot s, Optional<Payload> result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("executionId", s.executionId().toString());
        json.put("namespace", s.namespace());
        json.put("lane", s.lane());
        json.put("kind", s.executionKind());
        json.put("state", s.publicState().literal());
        json.put("attempts", s.counters().attemptCount());
        json.put("currentAttempt", s.counters().currentAttemptIndex());
        json.put("createdAt", s.times().createdAt().toString());
        json.put("terminalAt", s.times().terminalAt() == null ? null : s.times().terminalAt().toString());
        json.put("progress", s.progress() == null ? null : s.progress().message());
        json.put("lastFailure", s.lastFailureMessage());
        json.put("cancellationReason", s.cancellationReason());
        json.put("result", result.map(ExecutionRoutes::payload).orElse(null));
        return json;
    }

    /** Completion events as server-sent events, from now or after the client's {@code Last-Event-ID}. */
    private Mono<ServerResponse> completions(ServerRequest request) {
        return Mono.fromCallable(() -> {
                    String lastId = request.headers().firstHeader("Last-Event-ID");
                    return SubscribeRequest.builder()
                            .cursor(lastId == null || lastId.isBlank() ? null : EventCursor.fromText(lastId.trim()))
                            .namespace(request.queryParam("namespace").orElse(null))
                            .build();
                })
                .flatMap(subscribe -> {
                    // A comment now and then keeps proxies from dropping an idle connection; the heartbeats end
                    // with the subscription (which completes when the engine stops).
                    Flux<ServerSentEvent<String>> events = engine.subscriptions().subscribeCompletions(subscribe)
                            .map(ExecutionRoutes::completionEvent)
                            .publish(shared -> Flux.merge(shared, Flux.interval(HEARTBEAT)
                                    .map(n -> ServerSentEvent.<String>builder().comment("heartbeat").build())
                                    .takeUntilOther(shared.then())));
                    return ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                            .body(BodyInserters.fromServerSentEvents(events));
                });
    }

    private static ServerSentEvent<String> completionEvent(CompletionEvent event) {
        CompletionPayload c = event.payload();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("executionId", c.executionId().toString());
        json.put("outcome", c.outcome().literal());
        json.put("attempt", c.attemptIndex());
        json.put("namespace", c.namespace());
        json.put("flowId", c.flowId() == null ? null : c.flowId().toString());
        json.put("occurredAt", c.occurredAt().toString());
        return ServerSentEvent.builder(Json.object(json)).id(event.cursor().toText()).event("completion").build();
    }

    /**
     * One attempt's frames as server-sent events until the stream closes, then an {@code end} event. A reconnecting
     * client sends the last frame id as {@code Last-Event-ID} and gets only the frames after it.
     */
    private Mono<ServerResponse> stream(ServerRequest request) {
        return executionId(request).zipWith(attempt(request)).flatMap(target -> {
            ExecutionId id = target.getT1();
            int attempt = target.getT2();
            String lastId = request.headers().firstHeader("Last-Event-ID");
            StreamCursor from = lastId == null || lastId.isBlank() ? StreamCursor.START : StreamCursor.at(lastId.trim());
            Flux<ServerSentEvent<String>> frames = engine.streams()
                    .followStream(id, attempt, from, Visibility.ALL)
                    .map(ExecutionRoutes::frameEvent);
            // followStream completes once the stream is closed; say why, so browsers stop reconnecting.
            Mono<ServerSentEvent<String>> end = engine.streams()
                    .readStream(id, attempt, StreamCursor.START, StreamCursor.END, 1, Visibility.ALL)
                    .map(ExecutionRoutes::endEvent);
            // Check the execution first, so that an unknown id is a plain 404 rather than a broken event stream.
            return engine.executions().readExecutionState(id).flatMap(state -> state.isEmpty()
                    ? error(HttpStatus.NOT_FOUND, "not_found", "no such execution")
                    : ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                            .body(BodyInserters.fromServerSentEvents(frames.concatWith(end))));
        });
    }

    private static ServerSentEvent<String> frameEvent(StreamFrame frame) {
        return ServerSentEvent.builder(text(frame.payload(), frame.encoding()))
                .id(frame.id().format())
                .event(frame.frameType())
                .build();
    }

    private static ServerSentEvent<String> endEvent(StreamFrames frames) {
        return ServerSentEvent.builder(frames.closedReason() == null ? "closed" : frames.closedReason().literal())
                .event("end")
                .build();
    }

    private Mono<ServerResponse> index(ServerRequest request) {
        return ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue(IndexPage.HTML);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Mono<ExecutionId> executionId(ServerRequest request) {
        // Parsing throws ValidationException(INVALID_ID); inside the Mono it becomes a 400 like any engine error.
        return Mono.fromCallable(() -> ExecutionId.parse(request.pathVariable("id")));
    }

    private static Mono<Integer> attempt(ServerRequest request) {
        return Mono.fromCallable(() -> {
            try {
                return Integer.parseInt(request.pathVariable("attempt"));
            } catch (NumberFormatException e) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "attempt must be a number");
            }
        });
    }

    private static Map<String, Object> payload(Payload p) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("encoding", p.encoding());
        json.put("data", text(p.bytes(), p.encoding()));
        return json;
    }

    /** Text payloads as they are; anything else base64-encoded. */
    private static String text(byte[] bytes, String encoding) {
        boolean textual = encoding.startsWith("text/") || encoding.equals("utf8") || encoding.equals("utf-8")
                || encoding.equals("json") || encoding.equals("application/json");
        return textual ? new String(bytes, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(bytes);
    }

    private static Mono<ServerResponse> error(FlowFabricException e) {
        HttpStatus status;
        if (e instanceof ValidationException) {
            status = HttpStatus.BAD_REQUEST;
        } else if (e instanceof NotFoundException) {
            status = HttpStatus.NOT_FOUND;
        } else if (e instanceof StateException || e instanceof ConflictException) {
            status = HttpStatus.CONFLICT;
        } else {
            status = e.retryable() ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
        }
        return error(status, e.getClass().getSimpleName(), e.getMessage());
    }

    private static Mono<ServerResponse> error(HttpStatus status, String error, @Nullable String detail) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("error", error);
        json.put("detail", detail);
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(Json.object(json));
    }
}
