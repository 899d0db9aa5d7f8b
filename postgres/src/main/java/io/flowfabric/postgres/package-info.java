/**
 * The PostgreSQL engine: {@link io.flowfabric.postgres.PostgresEngine} and its builder are the only public entry
 * points of this module. Everything else in {@code io.flowfabric.postgres.*} is internal.
 *
 * <pre>{@code
 * PostgresEngine engine = PostgresEngine.builder()
 *         .url("r2dbc:postgresql://app:secret@localhost:5432/app")
 *         .build();
 * engine.start().block();            // migrates the schema (JDBC, off the event loop), then starts
 * engine.executions().createExecution(CreateExecution.builder("emails").input("hello").build())...
 * }</pre>
 */
@NullMarked
package io.flowfabric.postgres;

import org.jspecify.annotations.NullMarked;
