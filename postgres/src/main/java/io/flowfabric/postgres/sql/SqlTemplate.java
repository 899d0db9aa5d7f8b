package io.flowfabric.postgres.sql;

import java.util.Objects;

/**
 * Renders SQL written with a {@code {s}} placeholder for the engine's schema. The schema name is the only identifier
 * taken from configuration; it is validated ({@code [a-z_][a-z0-9_]{0,47}}) and quoted. Values are never rendered:
 * they are always bound.
 */
public final class SqlTemplate {

    private static final java.util.regex.Pattern SCHEMA = java.util.regex.Pattern.compile("[a-z_][a-z0-9_]{0,47}");

    private final String schema;
    private final String quoted;

    public SqlTemplate(String schema) {
        Objects.requireNonNull(schema, "schema");
        if (!SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema name must match [a-z_][a-z0-9_]{0,47}: " + schema);
        }
        this.schema = schema;
        this.quoted = '"' + schema + '"';
    }

    public String schema() {
        return schema;
    }

    /**
     * Replaces every {@code {s}} with the quoted schema name and compacts the text: runs of whitespace outside quotes
     * become one space and {@code --} comments are dropped. The driver tokenises the text of every statement it
     * executes, and the engine's statements are kilobytes of indented CTEs run on every operation; compacting them
     * once here takes a large share of the client's CPU per operation away. Text with a dollar quote or an
     * {@code E'...'} string is left as written (their quoting rules differ).
     */
    public String render(String sql) {
        return compact(sql.replace("{s}", quoted));
    }

    static String compact(String sql) {
        if (sql.indexOf('$') >= 0 && sql.matches("(?s).*\\$[A-Za-z_]*\\$.*")) {
            return sql;
        }
        StringBuilder out = new StringBuilder(sql.length());
        int n = sql.length();
        boolean pendingSpace = false;
        for (int i = 0; i < n; i++) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                pendingSpace = true;
                continue;
            }
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
                pendingSpace = true;
                continue;
            }
            if (pendingSpace && out.length() > 0) {
                out.append(' ');
            }
            pendingSpace = false;
            if (c == '\'' || c == '"') {
                if (c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                        && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)))) {
                    return sql;
                }
                // Copy the quoted text verbatim; a doubled quote is an escaped one and stays inside.
                int j = i + 1;
                while (j < n) {
                    if (sql.charAt(j) == c) {
                        if (j + 1 < n && sql.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                if (j >= n) {
                    return sql;
                }
                out.append(sql, i, j + 1);
                i = j;
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }
}
