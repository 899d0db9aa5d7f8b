package io.flowfabric.bench;

/**
 * A check on a benchmark's outcome failed (for example fewer completions than executions created), so its numbers
 * mean nothing: {@link Bench} prints a {@code FAIL} line with the message and exits with status 1.
 */
final class BenchFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BenchFailure(String message) {
        super(message);
    }
}
