package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.ConnectionFactoryOptions;
import java.net.URI;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

class ConnectionUrlsTest {

    private static final String NASTY_PASSWORD = "p@ss:w/rd?#%+ &=é*~";

    @Test
    void r2dbcUrlHasUserPasswordHostPortAndDatabase() {
        assertThat(ConnectionUrls.r2dbc("postgres", "secret", "localhost", 54321, "fft_x_1_abcdef"))
                .isEqualTo("r2dbc:postgresql://postgres:secret@localhost:54321/fft_x_1_abcdef");
    }

    @Test
    void r2dbcUrlPercentEncodesUserAndPassword() {
        String url = ConnectionUrls.r2dbc("us er@corp", NASTY_PASSWORD, "db.example", 5432, "app");

        assertThat(url).isEqualTo("r2dbc:postgresql://us%20er%40corp:p%40ss%3Aw%2Frd%3F%23%25%2B%20%26%3D%C3%A9%2A~"
                + "@db.example:5432/app");
    }

    @Test
    void r2dbcUrlRoundTripsThroughTheR2dbcUrlParser() {
        String url = ConnectionUrls.r2dbc("us er@corp", NASTY_PASSWORD, "db.example", 5432, "app");

        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url);

        assertThat(options.getValue(ConnectionFactoryOptions.DRIVER)).isEqualTo("postgresql");
        assertThat(options.getValue(ConnectionFactoryOptions.USER)).isEqualTo("us er@corp");
        assertThat(String.valueOf(options.getValue(ConnectionFactoryOptions.PASSWORD))).isEqualTo(NASTY_PASSWORD);
        assertThat(options.getValue(ConnectionFactoryOptions.HOST)).isEqualTo("db.example");
        assertThat(options.getValue(ConnectionFactoryOptions.PORT)).isEqualTo(5432);
        assertThat(options.getValue(ConnectionFactoryOptions.DATABASE)).isEqualTo("app");
    }

    @Test
    void r2dbcUrlIsAValidUriWhoseUserInfoDecodesBack() {
        URI uri = URI.create(ConnectionUrls.r2dbc("u", NASTY_PASSWORD, "localhost", 5432, "app").substring(6));

        assertThat(uri.getUserInfo()).isEqualTo("u:" + NASTY_PASSWORD);
    }

    @Test
    void r2dbcUrlOmitsAnEmptyPassword() {
        assertThat(ConnectionUrls.r2dbc("postgres", "", "localhost", 5432, "db"))
                .isEqualTo("r2dbc:postgresql://postgres@localhost:5432/db");
    }

    @Test
    void ipv6HostsAreBracketed() {
        assertThat(ConnectionUrls.r2dbc("u", "p", "::1", 5432, "db")).isEqualTo("r2dbc:postgresql://u:p@[::1]:5432/db");
        assertThat(ConnectionUrls.jdbc("::1", 5432, "db", "u", "p")).startsWith("jdbc:postgresql://[::1]:5432/db?");
    }

    @Test
    void jdbcUrlCarriesCredentialsThatPgJdbcDecodesBack() throws SQLException {
        String url = ConnectionUrls.jdbc("localhost", 5433, "app", "us er", NASTY_PASSWORD);

        Properties parsed = Driver.parseURL(url, null);

        assertThat(parsed).isNotNull();
        assertThat(parsed.getProperty("PGHOST")).isEqualTo("localhost");
        assertThat(parsed.getProperty("PGPORT")).isEqualTo("5433");
        assertThat(parsed.getProperty("PGDBNAME")).isEqualTo("app");
        assertThat(parsed.getProperty("user")).isEqualTo("us er");
        assertThat(parsed.getProperty("password")).isEqualTo(NASTY_PASSWORD);
    }

    @Test
    void jdbcUrlOmitsAnEmptyPassword() {
        assertThat(ConnectionUrls.jdbc("localhost", 5432, "db", "postgres", ""))
                .isEqualTo("jdbc:postgresql://localhost:5432/db?user=postgres");
    }
}
