package io.flowfabric.testing;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Formats the JDBC and R2DBC URLs handed out by {@link PostgresServer} and {@link TestDatabase}, in one place so
 * that both URL kinds always agree on host, port, credentials and encoding.
 */
final class ConnectionUrls {

    private ConnectionUrls() {
    }

    /**
     * Formats {@code r2dbc:postgresql://user:password@host:port/database}. User, password and database are
     * percent-encoded (RFC 3986, space as {@code %20}), which both {@code io.r2dbc.spi.ConnectionUrlParser} and
     * strict URI parsers decode back to the original text. An empty password is left out, together with its colon.
     */
    static String r2dbc(String username, String password, String host, int port, String database) {
        StringBuilder url = new StringBuilder("r2dbc:postgresql://").append(percentEncode(username));
        if (!password.isEmpty()) {
            url.append(':').append(percentEncode(password));
        }
        return url.append('@').append(hostForUrl(host)).append(':').append(port)
                .append('/').append(percentEncode(database)).toString();
    }

    /**
     * Formats {@code jdbc:postgresql://host:port/database?user=..&password=..} so that
     * {@code DriverManager.getConnection(url)} works alone; pgJDBC URL-decodes the parameter values. An empty
     * password is left out.
     */
    static String jdbc(String host, int port, String database, String username, String password) {
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(hostForUrl(host)).append(':').append(port)
                .append('/').append(percentEncode(database))
                .append("?user=").append(percentEncode(username));
        if (!password.isEmpty()) {
            url.append("&password=").append(percentEncode(password));
        }
        return url.toString();
    }

    /** Percent-encodes everything except RFC 3986 unreserved characters. */
    static String percentEncode(String value) {
        // URLEncoder implements form encoding; patch the three places where it differs from RFC 3986.
        return URLEncoder.encode(value, StandardCharsets.UTF_8)
                .replace("+", "%20")
                .replace("*", "%2A")
                .replace("%7E", "~");
    }

    /** IPv6 literals need brackets inside a URL authority. */
    static String hostForUrl(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
