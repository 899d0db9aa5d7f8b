package io.flowfabric.postgres.events;

import io.flowfabric.core.events.EventCursor;
import io.flowfabric.core.events.SubscribeRequest;
import io.r2dbc.spi.Readable;
import java.util.List;
import java.util.function.Function;

/**
 * One outbox a subscription can read: its table, NOTIFY channel, the columns and SQL filter it selects with, how it
 * binds a request's filters and how it maps a row.
 *
 * @param name    the family's name for logs and metrics ({@code completion}, {@code lease})
 * @param table   the outbox table, e.g. {@code ff_completion_event}
 * @param columns the select list over alias {@code o}
 * @param filter  SQL conditions over alias {@code o}, ANDed to the read; parameters from {@code $4} on
 * @param binds   the values for the filter's parameters, in order
 * @param mapper  maps a row (with its cursor and gap flag) to the emitted event
 */
record OutboxFamily<T>(String name, String table, String channel, String columns, String filter,
                       Function<SubscribeRequest, List<Object>> binds, EventMapper<T> mapper) {

    /** Maps one outbox row. */
    @FunctionalInterface
    interface EventMapper<T> {
        T map(Readable row, EventCursor cursor, boolean gap);
    }
}
