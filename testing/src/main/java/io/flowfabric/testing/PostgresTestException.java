package io.flowfabric.testing;

import java.sql.SQLException;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Signals that the test PostgreSQL server could not be started or reached, or that a statement run by a
 * {@link TestDatabase} helper failed. When the failure came from the server, the {@linkplain #getCause() cause} is
 * the driver's {@link SQLException} and {@link #sqlState()} carries its SQLSTATE.
 *
 * @since 0.1
 */
public final class PostgresTestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    PostgresTestException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * The SQLSTATE reported by the server, when the failure came from a statement.
     *
     * @return the five-character SQLSTATE, or empty when the failure was not a database error
     */
    public Optional<String> sqlState() {
        return getCause() instanceof SQLException ? Optional.ofNullable(((SQLException) getCause()).getSQLState())
                : Optional.empty();
    }
}
