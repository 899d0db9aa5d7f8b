package io.flowfabric.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/** The blocking JDBC plumbing behind {@link PostgresServer} and {@link TestDatabase}: connect, bind, read rows. */
final class Jdbc {

    /** The {@code application_name} of every connection this module opens for itself. */
    static final String APPLICATION_NAME = "flowfabric-testing";

    private static final String CONNECT_TIMEOUT_SECONDS = "10";

    private Jdbc() {
    }

    static Connection connect(String jdbcUrl) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", APPLICATION_NAME);
        properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
        return DriverManager.getConnection(jdbcUrl, properties);
    }

    static int update(Connection connection, String sql, @Nullable Object[] params) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, params);
            return statement.executeUpdate();
        }
    }

    /**
     * Runs a query and returns every row as column label to value, in column order.
     *
     * @throws SQLException when the statement fails or two columns share a label (one would hide the other)
     */
    static List<Map<String, @Nullable Object>> rows(Connection connection, String sql, @Nullable Object[] params)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, params);
            try (ResultSet resultSet = statement.executeQuery()) {
                ResultSetMetaData meta = resultSet.getMetaData();
                int columns = meta.getColumnCount();
                List<Map<String, @Nullable Object>> rows = new ArrayList<>();
                while (resultSet.next()) {
                    Map<String, @Nullable Object> row = new LinkedHashMap<>();
                    for (int column = 1; column <= columns; column++) {
                        String label = meta.getColumnLabel(column);
                        if (row.containsKey(label)) {
                            throw new SQLException("Two columns are labelled '" + label + "'; give them aliases");
                        }
                        row.put(label, resultSet.getObject(column));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    /** Binds every value with {@code setObject}; {@link Instant}, which pgJDBC lacks, goes as a UTC timestamptz. */
    static void bind(PreparedStatement statement, @Nullable Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            if (value instanceof Instant) {
                value = OffsetDateTime.ofInstant((Instant) value, ZoneOffset.UTC);
            }
            statement.setObject(i + 1, value);
        }
    }
}
