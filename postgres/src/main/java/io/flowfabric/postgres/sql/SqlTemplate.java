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

    /** Replaces every {@code {s}} with the quoted schema name. */
    public String render(String sql) {
        return sql.replace("{s}", quoted);
    }
}
