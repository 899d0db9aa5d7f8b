package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The default {@code PER_METHOD} lifecycle: a new instance per test method, one database for the class. */
@FlowFabricPostgres
class FlowFabricPostgresExtensionTest {

    private static TestDatabase beforeAllDatabase;
    private static TestClock beforeAllClock;

    private final TestDatabase constructorDatabase;

    FlowFabricPostgresExtensionTest(TestDatabase constructorDatabase) {
        this.constructorDatabase = constructorDatabase;
    }

    @BeforeAll
    static void rememberParameters(TestDatabase db, TestClock clock) {
        beforeAllDatabase = db;
        beforeAllClock = clock;
        clock.advance(Duration.ofSeconds(1));
    }

    @BeforeEach
    void beforeEachSeesTheSameInstances(TestDatabase db, TestClock clock) {
        assertThat(db).isSameAs(beforeAllDatabase);
        assertThat(clock).isSameAs(beforeAllClock);
    }

    @Test
    void injectsAWorkingDatabaseOfItsOwn(TestDatabase db) {
        assertThat(db.queryLong("SELECT 1")).isEqualTo(1);
        assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
        assertThat(db.name()).startsWith("fft_flow_fabric_postgres_extension_test_");
    }

    @Test
    void beforeAllConstructorAndTestMethodGetTheSameInstances(TestDatabase db, TestClock clock) {
        assertThat(db).isSameAs(beforeAllDatabase).isSameAs(constructorDatabase);
        assertThat(clock).isSameAs(beforeAllClock);
        assertThat(clock.offset()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void injectsTheSharedServer(PostgresServer server, TestDatabase db) {
        assertThat(server).isSameAs(PostgresServer.shared()).isSameAs(db.server());
    }

    @RepeatedTest(2)
    void testTemplatesGetTheClassDatabaseToo(TestDatabase db) {
        assertThat(db).isSameAs(beforeAllDatabase);
    }

    @Nested
    class NestedTests {

        @Test
        void nestedClassesUseTheEnclosingClassDatabase(TestDatabase db, TestClock clock) {
            assertThat(db).isSameAs(beforeAllDatabase).isSameAs(constructorDatabase);
            assertThat(clock).isSameAs(beforeAllClock);
            assertThat(db.queryValue("SELECT current_database()")).contains(beforeAllDatabase.name());
        }
    }
}
