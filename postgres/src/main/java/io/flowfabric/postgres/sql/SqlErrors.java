package io.flowfabric.postgres.sql;

import io.flowfabric.core.error.ConflictException;
import io.flowfabric.core.error.ContentionException;
import io.flowfabric.core.error.FlowFabricException;
import io.flowfabric.core.error.TimeoutException;
import io.flowfabric.core.error.UnavailableException;
import io.flowfabric.core.error.ValidationException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The one place where driver and pool exceptions become {@link FlowFabricException}s (spec 01 §7). Everything that
 * escapes an operation's own handling passes through {@link #map(Throwable)}; fence failures are produced by the
 * engine's own checks and never come from here.
 */
public final class SqlErrors {

    private SqlErrors() {
    }

    /** Maps any throwable to the engine's hierarchy; {@link FlowFabricException}s pass through unchanged. */
    public static FlowFabricException map(Throwable error) {
        if (error instanceof FlowFabricException ffe) {
            return ffe;
        }
        String sqlState = sqlState(error);
        if (sqlState != null) {
            return mapSqlState(sqlState, error);
        }
        if (isPoolExhausted(error)) {
            return new UnavailableException(UnavailableException.Kind.POOL_EXHAUSTED,
                    "no pooled connection became available in time", error);
        }
        if (isTransport(error)) {
            return new UnavailableException(UnavailableException.Kind.TRANSPORT,
                    "database connection failed: " + safeMessage(error), error);
        }
        return new UnavailableException(UnavailableException.Kind.DATABASE_ERROR,
                "unexpected database error: " + safeMessage(error), error);
    }

    /** The SQLSTATE of a driver exception (searching causes), or {@code null}. */
    public static @Nullable String sqlState(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof R2dbcException r && r.getSqlState() != null && !r.getSqlState().isEmpty()) {
                return r.getSqlState();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static FlowFabricException mapSqlState(String state, Throwable error) {
        String message = safeMessage(error);
        switch (state) {
            case "23505":
                return new ConflictException(ConflictException.Kind.DUPLICATE, message, error);
            case "40001":
                return new ContentionException(ContentionException.Kind.SERIALIZATION_FAILURE, message, error);
            case "40P01":
                return new ContentionException(ContentionException.Kind.DEADLOCK, message, error);
            case "55P03":
                return new ContentionException(ContentionException.Kind.LOCK_TIMEOUT, message, error);
            case "57014":
                return new TimeoutException("statement", Duration.ZERO, error);
            case "23502":
            case "23514":
                return new ValidationException(ValidationException.Kind.INVALID_INPUT, message, error);
            default:
                break;
        }
        if (state.startsWith("08") || state.startsWith("53")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
            return new UnavailableException(UnavailableException.Kind.TRANSPORT, message, error);
        }
        if (state.startsWith("22")) {
            return new ValidationException(ValidationException.Kind.INVALID_INPUT, message, error);
        }
        return new UnavailableException(UnavailableException.Kind.DATABASE_ERROR, "SQLSTATE " + state + ": " + message,
                error);
    }

    /** Whether {@code error} is retried by re-running the whole unit of work (01 §8). */
    public static boolean isRetriedContention(FlowFabricException error) {
        return error instanceof ContentionException c
                && (c.kind() == ContentionException.Kind.SERIALIZATION_FAILURE
                || c.kind() == ContentionException.Kind.DEADLOCK
                || c.kind() == ContentionException.Kind.LOCK_TIMEOUT);
    }

    private static boolean isPoolExhausted(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if (name.startsWith("io.r2dbc.pool.") || (t instanceof java.util.concurrent.TimeoutException
                    && String.valueOf(t.getMessage()).contains("acquire"))) {
                return true;
            }
            if (t instanceof io.r2dbc.spi.R2dbcTimeoutException && String.valueOf(t.getMessage()).contains("acquire")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static boolean isTransport(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof R2dbcNonTransientResourceException || t instanceof R2dbcTransientResourceException
                    || t instanceof IOException || t instanceof ClosedChannelException
                    || t.getClass().getName().startsWith("reactor.netty.channel.AbortedException")
                    || t.getClass().getSimpleName().equals("PostgresConnectionClosedException")
                    || t.getClass().getSimpleName().equals("PrematureCloseException")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The driver's message without parameter values (server detail lines can echo row values; they are dropped). */
    private static String safeMessage(Throwable error) {
        String m = error.getMessage();
        return m == null ? error.getClass().getSimpleName() : m;
    }
}
