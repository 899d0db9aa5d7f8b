/**
 * The WebFlux example: a plain Spring WebFlux application (functional endpoints on Reactor Netty, no Spring Boot)
 * that creates executions over HTTP and streams completions and an attempt's output frames to the browser as
 * server-sent events, while a {@link io.flowfabric.core.worker.WorkerRuntime} in the same process runs them. No
 * handler blocks: every engine call is a {@code Mono} or {@code Flux} composed into the response.
 */
@NullMarked
package io.flowfabric.examples.webflux;

import org.jspecify.annotations.NullMarked;
