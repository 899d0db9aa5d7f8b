/**
 * Installs, migrates and verifies FlowFabric's PostgreSQL schema: {@link io.flowfabric.postgres.schema.SchemaManager}
 * runs the Liquibase changelogs kept under {@code io/flowfabric/postgres/db/} over blocking JDBC (before any reactive
 * work starts) and checks that the installed schema version, the logical partition count and the physical partition
 * count are the ones this library and its configuration need.
 */
@org.jspecify.annotations.NullMarked
package io.flowfabric.postgres.schema;
