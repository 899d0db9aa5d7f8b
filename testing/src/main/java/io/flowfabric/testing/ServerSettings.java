package io.flowfabric.testing;

import java.util.Locale;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The configuration that decides which PostgreSQL server {@link PostgresServer#shared()} uses. Every setting is read
 * from a system property first and from an environment variable second; blank values count as unset.
 *
 * @param forcedKind the kind forced by {@code flowfabric.test.pg.mode}, or {@code null} to choose automatically
 * @param modeSource where the forced kind came from, for the log line
 * @param url the external server URL, or {@code null}
 * @param urlSource where the URL came from, for the log line
 * @param user the user for the external server, overriding the one in the URL, or {@code null}
 * @param password the password for the external server, overriding the one in the URL, or {@code null}
 */
record ServerSettings(PostgresServer.@Nullable Kind forcedKind, @Nullable String modeSource, @Nullable String url,
                      @Nullable String urlSource, @Nullable String user, @Nullable String password) {

    static final String MODE_PROPERTY = "flowfabric.test.pg.mode";
    static final String MODE_ENV = "FLOWFABRIC_TEST_PG_MODE";
    static final String URL_PROPERTY = "flowfabric.test.pg.url";
    static final String URL_ENV = "FLOWFABRIC_TEST_PG_URL";
    static final String USER_PROPERTY = "flowfabric.test.pg.user";
    static final String USER_ENV = "FLOWFABRIC_TEST_PG_USER";
    static final String PASSWORD_PROPERTY = "flowfabric.test.pg.password";
    static final String PASSWORD_ENV = "FLOWFABRIC_TEST_PG_PASSWORD";

    static ServerSettings fromSystem() {
        return read(System::getProperty, System::getenv);
    }

    static ServerSettings read(UnaryOperator<@Nullable String> systemProperties,
                               UnaryOperator<@Nullable String> environment) {
        Setting mode = Setting.lookup(MODE_PROPERTY, MODE_ENV, systemProperties, environment);
        Setting url = Setting.lookup(URL_PROPERTY, URL_ENV, systemProperties, environment);
        Setting user = Setting.lookup(USER_PROPERTY, USER_ENV, systemProperties, environment);
        Setting password = Setting.lookup(PASSWORD_PROPERTY, PASSWORD_ENV, systemProperties, environment);
        return new ServerSettings(parseKind(mode), mode.source(), url.value(), url.source(), user.value(),
                password.value());
    }

    /**
     * The external server's address with the separately configured user and password applied; {@code null} when no
     * URL is configured.
     */
    @Nullable ExternalServerAddress externalAddress() {
        if (url == null) {
            return null;
        }
        ExternalServerAddress parsed = ExternalServerAddress.parse(url);
        return new ExternalServerAddress(parsed.host(), parsed.port(), parsed.database(),
                user != null ? user : parsed.user(), password != null ? password : parsed.password());
    }

    private static PostgresServer.@Nullable Kind parseKind(Setting mode) {
        String value = mode.value();
        if (value == null) {
            return null;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "external":
                return PostgresServer.Kind.EXTERNAL;
            case "testcontainers":
                return PostgresServer.Kind.TESTCONTAINERS;
            case "embedded":
                return PostgresServer.Kind.EMBEDDED;
            default:
                throw new IllegalArgumentException(mode.source() + " must be external, testcontainers or embedded, "
                        + "was '" + value + "'");
        }
    }

    private record Setting(@Nullable String value, @Nullable String source) {

        static Setting lookup(String property, String env, UnaryOperator<@Nullable String> systemProperties,
                              UnaryOperator<@Nullable String> environment) {
            String fromProperty = systemProperties.apply(property);
            if (fromProperty != null && !fromProperty.isBlank()) {
                return new Setting(fromProperty, "system property " + property);
            }
            String fromEnv = environment.apply(env);
            if (fromEnv != null && !fromEnv.isBlank()) {
                return new Setting(fromEnv, "environment variable " + env);
            }
            return new Setting(null, null);
        }
    }
}
