package io.flowfabric.core.worker;

import io.flowfabric.core.execution.ClaimedExecution;
import io.flowfabric.core.lease.LeaseFence;
import io.flowfabric.core.spi.WorkerOperations;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * What a handler gets: the claimed execution (input, attempt, kind, tags, policy), its lease fence, and the
 * lease-holder calls it may make while it runs. The runtime renews the lease meanwhile; the handler's result
 * completes the execution and its error fails it.
 *
 * @since 0.1
 */
public final class TaskContext {

    private final ClaimedExecution claimed;
    private final WorkerOperations workers;
    private final @Nullable StreamAppender streams;

    /** Appends output to the attempt's stream; provided by the runtime when the backend has streams. */
    @FunctionalInterface
    public interface StreamAppender {
        Mono<Void> append(LeaseFence fence, String frameType, byte[] payload, String encoding);
    }

    TaskContext(ClaimedExecution claimed, WorkerOperations workers, @Nullable StreamAppender streams) {
        this.claimed = claimed;
        this.workers = workers;
        this.streams = streams;
    }

    /** Everything the claim returned. */
    public ClaimedExecution execution() {
        return claimed;
    }

    public byte[] input() {
        return claimed.input();
    }

    /** The input decoded as UTF-8. */
    public String inputText() {
        return new String(claimed.input(), StandardCharsets.UTF_8);
    }

    public String kind() {
        return claimed.executionKind();
    }

    public int attempt() {
        return claimed.attemptIndex();
    }

    public Map<String, String> tags() {
        return claimed.tags();
    }

    /** The fence of the current lease, for lease-holder calls the context does not wrap. */
    public LeaseFence fence() {
        return claimed.fence();
    }

    /** Records progress (percent 0..100, message up to 1 KiB). */
    public Mono<Void> progress(@Nullable Integer percent, @Nullable String message) {
        return workers.progress(claimed.fence(), percent, message);
    }

    /**
     * Appends a durable frame to this attempt's output stream. Errors with {@code IllegalStateException} when the
     * backend has no streams.
     */
    public Mono<Void> append(String frameType, byte[] payload, String encoding) {
        if (streams == null) {
            return Mono.error(new IllegalStateException("this engine has no streams"));
        }
        return streams.append(claimed.fence(), frameType, payload, encoding);
    }

    /** Appends a UTF-8 text frame ({@code encoding utf8}). */
    public Mono<Void> append(String text) {
        return append("event", text.getBytes(StandardCharsets.UTF_8), "utf8");
    }
}
