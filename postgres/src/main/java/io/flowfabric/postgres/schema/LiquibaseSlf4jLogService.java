package io.flowfabric.postgres.schema;

import java.util.logging.Level;
import liquibase.logging.Logger;
import liquibase.logging.core.AbstractLogService;
import liquibase.logging.core.AbstractLogger;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * Routes Liquibase's own logging to SLF4J while {@link SchemaManager} runs it, instead of java.util.logging on the
 * console. Liquibase's INFO chatter (lock acquired, history table read, update summary) goes to DEBUG so that an
 * engine start logs one line of its own; warnings and errors keep their level. Loggers keep Liquibase's class names
 * ({@code liquibase.*}), so users can raise them in their logging configuration.
 */
final class LiquibaseSlf4jLogService extends AbstractLogService {

    @Override
    public int getPriority() {
        return PRIORITY_SPECIALIZED;
    }

    @Override
    @SuppressWarnings("rawtypes") // the SPI declares a raw Class
    public Logger getLog(@Nullable Class clazz) {
        String name = clazz == null ? "liquibase" : clazz.getName();
        return new Slf4jLogger(LoggerFactory.getLogger(name));
    }

    private static final class Slf4jLogger extends AbstractLogger {

        private final org.slf4j.Logger delegate;

        Slf4jLogger(org.slf4j.Logger delegate) {
            this.delegate = delegate;
        }

        @Override
        public void close() {
            // Nothing to release: SLF4J loggers are owned by the logging backend.
        }

        @Override
        public void log(Level level, String message, @Nullable Throwable e) {
            int value = level.intValue();
            if (level == Level.OFF) {
                return;
            }
            if (value >= Level.SEVERE.intValue()) {
                delegate.error(message, e);
            } else if (value >= Level.WARNING.intValue()) {
                delegate.warn(message, e);
            } else if (value >= Level.CONFIG.intValue()) {
                // INFO and CONFIG: routine progress, kept out of the engine's INFO log.
                delegate.debug(message, e);
            } else {
                delegate.trace(message, e);
            }
        }
    }
}
