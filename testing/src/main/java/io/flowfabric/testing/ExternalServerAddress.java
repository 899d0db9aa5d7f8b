package io.flowfabric.testing;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where an externally configured PostgreSQL server is, parsed from either URL form accepted by
 * {@code FLOWFABRIC_TEST_PG_URL}:
 * <ul>
 *   <li>{@code jdbc:postgresql://host[:port][/database][?user=..&password=..]}</li>
 *   <li>{@code postgresql://[user[:password]@]host[:port][/database]} (also {@code postgres://}, and the
 *       {@code user}/{@code password} query parameters)</li>
 * </ul>
 * The port defaults to 5432 and the database to {@code postgres}. Credentials in the user-info part win over the
 * query parameters. Other query parameters are ignored. {@code user} and {@code password} are {@code null} when the
 * URL does not carry them.
 */
record ExternalServerAddress(String host, int port, String database, @Nullable String user,
                             @Nullable String password) {

    static final int DEFAULT_PORT = 5432;
    static final String DEFAULT_DATABASE = "postgres";

    static ExternalServerAddress parse(String url) {
        String rest = url.trim();
        if (rest.regionMatches(true, 0, "jdbc:", 0, 5)) {
            rest = rest.substring(5);
        }
        String lower = rest.toLowerCase(Locale.ROOT);
        if (lower.startsWith("postgresql://")) {
            rest = rest.substring("postgresql://".length());
        } else if (lower.startsWith("postgres://")) {
            rest = rest.substring("postgres://".length());
        } else {
            throw invalid(url, "expected jdbc:postgresql://, postgresql:// or postgres://");
        }

        String query = "";
        int queryStart = rest.indexOf('?');
        if (queryStart >= 0) {
            query = rest.substring(queryStart + 1);
            rest = rest.substring(0, queryStart);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }

        String user = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                user = percentDecode(userInfo.substring(0, colon));
                password = percentDecode(userInfo.substring(colon + 1));
            } else {
                user = percentDecode(userInfo);
            }
        }

        if (rest.indexOf(',') >= 0) {
            throw invalid(url, "several hosts are not supported");
        }
        String host;
        String portText = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw invalid(url, "unterminated IPv6 address");
            }
            host = rest.substring(1, close);
            String afterHost = rest.substring(close + 1);
            if (afterHost.startsWith(":")) {
                portText = afterHost.substring(1);
            } else if (!afterHost.isEmpty()) {
                throw invalid(url, "unexpected text after the IPv6 address");
            }
        } else {
            int colon = rest.lastIndexOf(':');
            host = colon >= 0 ? rest.substring(0, colon) : rest;
            portText = colon >= 0 ? rest.substring(colon + 1) : null;
        }
        if (host.isEmpty()) {
            throw invalid(url, "no host");
        }
        int port = DEFAULT_PORT;
        if (portText != null && !portText.isEmpty()) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw invalid(url, "port is not a number");
            }
            if (port < 1 || port > 65535) {
                throw invalid(url, "port out of range");
            }
        }

        String database = path.isEmpty() ? DEFAULT_DATABASE : percentDecode(path);

        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (key.equals("user") && user == null) {
                user = value;
            } else if (key.equals("password") && password == null) {
                password = value;
            }
        }
        return new ExternalServerAddress(host, port, database, user, password);
    }

    /** Decodes {@code %XX} sequences as UTF-8; unlike form decoding, {@code +} stays a plus sign. */
    static String percentDecode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        StringBuilder decoded = new StringBuilder(text.length());
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && isHex(text.charAt(i + 1)) && isHex(text.charAt(i + 2))) {
                // Consecutive escapes form one UTF-8 sequence: collect the bytes, decode them together.
                pending.write(Character.digit(text.charAt(i + 1), 16) * 16 + Character.digit(text.charAt(i + 2), 16));
                i += 3;
            } else {
                decoded.append(pending.toString(StandardCharsets.UTF_8));
                pending.reset();
                decoded.append(c);
                i++;
            }
        }
        return decoded.append(pending.toString(StandardCharsets.UTF_8)).toString();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private static IllegalArgumentException invalid(String url, String reason) {
        // The URL may hold a password: never echo it back.
        return new IllegalArgumentException("Invalid external PostgreSQL URL (" + reason + "); expected "
                + "jdbc:postgresql://host:port/db?user=..&password=.. or postgresql://user:pass@host:port/db, got "
                + redact(url));
    }

    static String redact(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
