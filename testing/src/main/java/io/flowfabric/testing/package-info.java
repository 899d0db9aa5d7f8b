/**
 * A real PostgreSQL server for tests, for FlowFabric's own test suites and for users testing code built on
 * FlowFabric. {@link io.flowfabric.testing.PostgresServer#shared()} provides one server per JVM, resolved in this
 * order: an external server when {@code FLOWFABRIC_TEST_PG_URL} (or the system property
 * {@code flowfabric.test.pg.url}) is set, a Testcontainers {@code postgres:17-alpine} container when Docker is
 * available, and an embedded PostgreSQL 17 otherwise; {@code FLOWFABRIC_TEST_PG_MODE} forces one. Each test class
 * annotated with {@link io.flowfabric.testing.FlowFabricPostgres} gets a fresh
 * {@link io.flowfabric.testing.TestDatabase} of its own, dropped after the class, plus a
 * {@link io.flowfabric.testing.TestClock} to shift the database clock of an engine configured with it. The
 * {@code TestDatabase} helpers ({@code execute}, {@code queryLong}, {@code queryRows}, {@code terminateBackends},
 * ...) block on JDBC: use them in test code only, never on a reactive thread. Everything here is thread-safe.
 *
 * <pre>{@code
 * @FlowFabricPostgres
 * class MyTest {
 *   @Test void works(TestDatabase db) {
 *     ConnectionFactory factory = ConnectionFactories.get(db.r2dbcUrl());
 *     // ... run the code under test against factory, then assert with plain SQL:
 *     assertThat(db.queryLong("SELECT count(*) FROM my_table WHERE status = ?", "done")).isEqualTo(1);
 *   }
 * }
 * }</pre>
 *
 * @since 0.1
 */
@NullMarked
package io.flowfabric.testing;

import org.jspecify.annotations.NullMarked;
