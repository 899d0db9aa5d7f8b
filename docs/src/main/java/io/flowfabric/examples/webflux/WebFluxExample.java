package io.flowfabric.examples.webflux;

import io.flowfabric.core.FlowFabric;
import io.flowfabric.core.worker.TaskContext;
import io.flowfabric.core.worker.TaskFailure;
import io.flowfabric.core.worker.WorkerRuntime;
import io.flowfabric.postgres.PostgresEngine;
import io.flowfabric.testing.PostgresServer;
import io.flowfabric.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The WebFlux example's entry point: starts PostgreSQL (embedded, unless {@code --url} names one), the engine, a
 * worker runtime that runs every execution created over HTTP, and the HTTP server of {@link ExecutionRoutes} on
 * Reactor Netty. Runs until the process is stopped (Ctrl-C).
 *
 * <p>Run: {@code mvn -q -pl docs -am compile exec:java -Dflowfabric.main=io.flowfabric.examples.webflux.WebFluxExample}
 * and add {@code -Dexec.args="--port 9090 --url r2dbc:postgresql://user:pass@host:5432/db"} to change the port
 * (default 8080) or use your own server.
 */
public final class WebFluxExample {

    /** The lane executions created over HTTP are put on, and the worker claims from. */
    public static final String LANE = "web";

    private WebFluxExample() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(option(args, "--port", "8080"));
        String url = option(args, "--url", null);
        String where;
        boolean embedded = url == null;
        if (embedded) {
            // A demo database on the embedded server; the server and its data go away with the process.
            TestDatabase db = PostgresServer.shared().createDatabase("webflux");
            url = db.r2dbcUrl();
            where = "embedded PostgreSQL " + db.server().serverVersion() + ", database " + db.name();
        } else {
            where = url.replaceAll("//[^@/]*@", "//***@");
        }
        PostgresEngine engine = PostgresEngine.builder().url(url).build();
        engine.start().block(Duration.ofMinutes(2));
        WorkerRuntime worker = worker(engine, Duration.ofMillis(500)).start();
        DisposableServer server = startServer(engine, "0.0.0.0", port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (embedded) {
                // The embedded server stops in a shutdown hook of its own, concurrently with this one: connections
                // closing under the driver are expected then, not worth a stack trace.
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.r2dbc.postgresql"))
                        .setLevel(ch.qos.logback.classic.Level.OFF);
            }
            try {
                server.disposeNow(Duration.ofSeconds(5));
                worker.close();
                engine.close();
            } catch (RuntimeException e) {
                System.err.println("stopped with " + e);
            }
        }, "webflux-example-stop"));

        String base = "http://localhost:" + server.port();
        System.out.printf("""

                FlowFabric WebFlux example on %1$s (engine on %2$s)
                  open %1$s/ in a browser, or try:
                    curl -N %1$s/completions
                    curl -i -X POST -H 'Content-Type: text/plain' -d 'hello' %1$s/executions
                    curl -N '%1$s<the "stream" link of that response>'
                    curl '%1$s<its "self" link>'
                Ctrl-C stops it.
                %n""", base, where);
        server.onDispose().block();
    }

    /**
     * Starts the HTTP server: the routes turned into an {@link HttpHandler} and served by Reactor Netty through
     * Spring's adapter. Port 0 picks a free port ({@link DisposableServer#port()}).
     */
    public static DisposableServer startServer(FlowFabric engine, String host, int port) {
        HttpHandler handler = RouterFunctions.toHttpHandler(ExecutionRoutes.routes(engine, LANE));
        return HttpServer.create()
                .host(host)
                .port(port)
                .handle(new ReactorHttpHandlerAdapter(handler))
                .bindNow(Duration.ofSeconds(10));
    }

    /**
     * The worker runtime of the example: claims executions of {@link #LANE}, appends three progress frames to the
     * attempt's stream, {@code step} apart, and completes with the input upper-cased. An execution of kind
     * {@code fail} fails permanently instead, after its first frame.
     */
    public static WorkerRuntime worker(FlowFabric engine, Duration step) {
        return WorkerRuntime.builder(engine)
                .workerId("webflux-worker")
                .lane(LANE)
                .concurrency(8)
                .handler("fail", ctx -> ctx.append("received " + ctx.input().length + " bytes")
                        .then(Mono.error(TaskFailure.permanent("asked to fail"))))
                .defaultHandler(ctx -> process(ctx, step))
                .build();
    }

    private static Mono<String> process(TaskContext ctx, Duration step) {
        String text = new String(ctx.input(), StandardCharsets.UTF_8);
        return ctx.append("received " + ctx.input().length + " bytes (" + ctx.execution().inputEncoding() + ")")
                .thenMany(Flux.range(1, 2).concatMap(n -> Mono.delay(step)
                        .then(ctx.append("working: step " + n + " of 2"))))
                .then(Mono.delay(step))
                .then(ctx.append("done"))
                .thenReturn(text.toUpperCase(Locale.ROOT));
    }

    private static @Nullable String option(String[] args, String name, @Nullable String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
