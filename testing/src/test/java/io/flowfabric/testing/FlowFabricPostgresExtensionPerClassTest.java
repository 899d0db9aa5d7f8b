package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code PER_CLASS}: the instance, and so the constructor's parameters, exist before the before-all callbacks. */
@FlowFabricPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowFabricPostgresExtensionPerClassTest {

    private final TestDatabase constructorDatabase;
    private final TestClock constructorClock;
    private TestDatabase beforeAllDatabase;

    FlowFabricPostgresExtensionPerClassTest(TestDatabase db, TestClock clock) {
        this.constructorDatabase = db;
        this.constructorClock = clock;
    }

    @BeforeAll
    void createSchema(TestDatabase db) {
        beforeAllDatabase = db;
        db.execute("CREATE TABLE per_class (id int)");
    }

    @Test
    void constructorBeforeAllAndTestMethodShareOneDatabase(TestDatabase db, TestClock clock) {
        assertThat(db).isSameAs(constructorDatabase).isSameAs(beforeAllDatabase);
        assertThat(clock).isSameAs(constructorClock);
        assertThat(db.queryLong("SELECT count(*) FROM per_class")).isZero();
        assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
    }

    @AfterAll
    void afterAllStillHasTheDatabase(TestDatabase db) {
        assertThat(db).isSameAs(constructorDatabase);
        assertThat(db.queryLong("SELECT 1")).isEqualTo(1);
    }
}
