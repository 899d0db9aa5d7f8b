package io.flowfabric.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts {@code postgres:17-alpine} with Testcontainers. Every Testcontainers type is referenced from this class
 * only, so that the module still works (falling back to the embedded server) when Testcontainers is missing from
 * the classpath: the first use of this class then fails with a {@link LinkageError} that the caller handles.
 */
final class ContainerServerLauncher {

    static final String IMAGE = "postgres:17-alpine";
    private static final int POSTGRES_PORT = 5432;

    private ContainerServerLauncher() {
    }

    /** Whether a Docker engine answers; may throw anything, including linkage errors. */
    static boolean isDockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    static RunningServer start() {
        List<String> command = new ArrayList<>();
        command.add("postgres");
        for (Map.Entry<String, String> setting : ServerTuning.settings().entrySet()) {
            command.add("-c");
            command.add(setting.getKey() + "=" + setting.getValue());
        }
        PostgreSQLContainer container = new PostgreSQLContainer(DockerImageName.parse(IMAGE))
                .withCommand(command.toArray(String[]::new));
        try {
            container.start();
        } catch (RuntimeException e) {
            container.close();
            throw new PostgresTestException("Testcontainers could not start " + IMAGE + ": " + e.getMessage(), e);
        }
        // Ryuk removes the container when the JVM dies; the hook stops it promptly on a normal exit.
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "flowfabric-postgres-container-stop"));
        return new RunningServer(container.getHost(), container.getMappedPort(POSTGRES_PORT), container.getUsername(),
                container.getPassword(), container.getDatabaseName(), container::stop);
    }
}
