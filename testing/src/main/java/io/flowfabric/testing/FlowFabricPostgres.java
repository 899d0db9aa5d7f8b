package io.flowfabric.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives the annotated test class a fresh database of its own on the shared test PostgreSQL server, dropped after the
 * class; short for {@code @ExtendWith(FlowFabricPostgresExtension.class)}. Declare parameters of type
 * {@link TestDatabase}, {@link PostgresServer} or {@link TestClock} on the constructor, lifecycle methods or test
 * methods to receive them. See {@link FlowFabricPostgresExtension} for the details.
 *
 * <pre>{@code
 * @FlowFabricPostgres
 * class MyTest {
 *   @Test void works(TestDatabase db) {
 *     assertThat(db.queryLong("SELECT 1")).isEqualTo(1);
 *   }
 * }
 * }</pre>
 *
 * @since 0.1
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(FlowFabricPostgresExtension.class)
public @interface FlowFabricPostgres {
}
