package io.flowfabric.bench;

/** The command line is wrong: {@link Bench} prints the message and the usage text and exits with status 2. */
final class BenchUsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BenchUsageException(String message) {
        super(message);
    }
}
