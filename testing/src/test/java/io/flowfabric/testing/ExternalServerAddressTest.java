package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class ExternalServerAddressTest {

    @Test
    void parsesJdbcUrlWithCredentialsInQuery() {
        ExternalServerAddress address = ExternalServerAddress.parse(
                "jdbc:postgresql://db.internal:6543/ci_admin?user=ci&password=s%40cret%2Bx&sslmode=disable");

        assertThat(address).isEqualTo(new ExternalServerAddress("db.internal", 6543, "ci_admin", "ci", "s@cret+x"));
    }

    @Test
    void parsesPlainUrlWithCredentialsInUserInfo() {
        ExternalServerAddress address = ExternalServerAddress.parse("postgresql://ci:p%40ss+w%3Ard@pg:5433/admin");

        // In user info '+' is a plus sign, not a form-encoded space.
        assertThat(address).isEqualTo(new ExternalServerAddress("pg", 5433, "admin", "ci", "p@ss+w:rd"));
    }

    @Test
    void acceptsThePostgresSchemeAlias() {
        assertThat(ExternalServerAddress.parse("postgres://u:p@localhost/x"))
                .isEqualTo(new ExternalServerAddress("localhost", 5432, "x", "u", "p"));
    }

    @Test
    void defaultsPortAndDatabaseAndLeavesMissingCredentialsUnset() {
        assertThat(ExternalServerAddress.parse("jdbc:postgresql://localhost"))
                .isEqualTo(new ExternalServerAddress("localhost", 5432, "postgres", null, null));
        assertThat(ExternalServerAddress.parse("postgresql://only_user@host_with_underscore:5432/"))
                .isEqualTo(new ExternalServerAddress("host_with_underscore", 5432, "postgres", "only_user", null));
    }

    @Test
    void parsesBracketedIpv6Hosts() {
        assertThat(ExternalServerAddress.parse("postgresql://u:p@[::1]:5555/db"))
                .isEqualTo(new ExternalServerAddress("::1", 5555, "db", "u", "p"));
    }

    @Test
    void userInfoWinsOverQueryParameters() {
        assertThat(ExternalServerAddress.parse("postgresql://a:b@h/d?user=c&password=e"))
                .isEqualTo(new ExternalServerAddress("h", 5432, "d", "a", "b"));
    }

    @Test
    void rejectsOtherSchemesWithoutEchoingThePassword() {
        assertThatThrownBy(() -> ExternalServerAddress.parse("mysql://root:topsecret@localhost/db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("postgresql://")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> ExternalServerAddress.parse("jdbc:postgresql://h:notaport/db?password=topsecret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port")
                .hasMessageNotContaining("topsecret");
    }

    @Test
    void rejectsSeveralHosts() {
        assertThatThrownBy(() -> ExternalServerAddress.parse("jdbc:postgresql://h1:5432,h2:5432/db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("several hosts");
    }

    @Test
    void separateUserAndPasswordSettingsOverrideTheUrl() {
        ServerSettings settings = ServerSettings.read(
                lookup(Map.of()),
                lookup(Map.of(ServerSettings.URL_ENV, "postgresql://url_user:url_pass@pg:5432/admin",
                        ServerSettings.USER_ENV, "env_user",
                        ServerSettings.PASSWORD_ENV, " spaced pass ")));

        assertThat(settings.externalAddress())
                .isEqualTo(new ExternalServerAddress("pg", 5432, "admin", "env_user", " spaced pass "));
        assertThat(settings.forcedKind()).isNull();
        assertThat(settings.urlSource()).isEqualTo("environment variable " + ServerSettings.URL_ENV);
    }

    @Test
    void systemPropertiesWinOverEnvironmentVariables() {
        ServerSettings settings = ServerSettings.read(
                lookup(Map.of(ServerSettings.URL_PROPERTY, "jdbc:postgresql://from-property/db",
                        ServerSettings.MODE_PROPERTY, "Embedded")),
                lookup(Map.of(ServerSettings.URL_ENV, "jdbc:postgresql://from-env/db",
                        ServerSettings.MODE_ENV, "external")));

        assertThat(settings.url()).isEqualTo("jdbc:postgresql://from-property/db");
        assertThat(settings.forcedKind()).isEqualTo(PostgresServer.Kind.EMBEDDED);
        assertThat(settings.modeSource()).isEqualTo("system property " + ServerSettings.MODE_PROPERTY);
    }

    @Test
    void blankSettingsCountAsUnset() {
        ServerSettings settings = ServerSettings.read(lookup(Map.of(ServerSettings.URL_PROPERTY, "  ")),
                lookup(Map.of(ServerSettings.MODE_ENV, "")));

        assertThat(settings.url()).isNull();
        assertThat(settings.forcedKind()).isNull();
        assertThat(settings.externalAddress()).isNull();
    }

    @Test
    void rejectsUnknownModes() {
        assertThatThrownBy(() -> ServerSettings.read(lookup(Map.of()),
                lookup(Map.of(ServerSettings.MODE_ENV, "docker"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ServerSettings.MODE_ENV)
                .hasMessageContaining("external, testcontainers or embedded");
    }

    private static java.util.function.UnaryOperator<@Nullable String> lookup(Map<String, String> values) {
        return values::get;
    }
}
