package io.flowfabric.core.worker;

import reactor.core.publisher.Mono;

/**
 * Runs one claimed execution. The returned {@code Mono}'s value becomes the result: {@code byte[]} (encoding
 * {@code binary}), {@code String} (UTF-8, {@code text/plain}), {@link io.flowfabric.core.execution.Payload} (its own
 * encoding), any other object (its {@code toString()}, {@code text/plain}); an empty {@code Mono} completes without a
 * result. An error fails the attempt: {@link TaskFailure} with its failure class, anything else as {@code TRANSIENT}.
 *
 * <p>Handlers run on the thread that subscribes them unless the runtime was given a scheduler; a handler that blocks
 * must get one (for example {@code Schedulers.boundedElastic()}), never block a driver thread.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface TaskHandler {

    Mono<?> handle(TaskContext context);
}
