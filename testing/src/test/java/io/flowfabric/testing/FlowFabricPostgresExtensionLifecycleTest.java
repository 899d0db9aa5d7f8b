package io.flowfabric.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Runs sample classes in-process with the JUnit test kit and checks the extension's per-class lifecycle from the
 * outside: which database each class saw, and that it is gone afterwards. The samples are static nested classes
 * without a {@code Test} suffix, so Surefire does not run them on its own.
 */
@FlowFabricPostgres
class FlowFabricPostgresExtensionLifecycleTest {

    private static final String EXISTS_SQL = "SELECT count(*) FROM pg_database WHERE datname = ?";

    /** Sample class to the database name it was given. */
    static final Map<Class<?>, String> SEEN = new ConcurrentHashMap<>();

    @Test
    void twoTestClassesGetDifferentDatabasesThatAreDroppedAfterwards(TestDatabase observer) {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FirstSample.class), selectClass(SecondSample.class))
                .execute()
                .testEvents()
                .assertStatistics(stats -> stats.started(2).succeeded(2));

        String first = SEEN.get(FirstSample.class);
        String second = SEEN.get(SecondSample.class);
        assertThat(first).startsWith("fft_first_sample_");
        assertThat(second).startsWith("fft_second_sample_");
        assertThat(first).isNotEqualTo(second);
        assertThat(observer.queryLong(EXISTS_SQL, first)).isZero();
        assertThat(observer.queryLong(EXISTS_SQL, second)).isZero();
    }

    @Test
    void theDatabaseIsDroppedWhenATestFails(TestDatabase observer) {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FailingSample.class))
                .execute()
                .testEvents()
                .assertStatistics(stats -> stats.started(1).failed(1));

        assertThat(observer.queryLong(EXISTS_SQL, SEEN.get(FailingSample.class))).isZero();
    }

    @Test
    void theDatabaseIsDroppedWhenBeforeAllFails(TestDatabase observer) {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FailingBeforeAllSample.class))
                .execute()
                .containerEvents()
                .assertStatistics(stats -> stats.failed(1));

        assertThat(observer.queryLong(EXISTS_SQL, SEEN.get(FailingBeforeAllSample.class))).isZero();
    }

    @Test
    void thePerClassDatabaseIsDroppedToo(TestDatabase observer) {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(PerClassSample.class))
                .execute()
                .testEvents()
                .assertStatistics(stats -> stats.started(1).succeeded(1));

        assertThat(observer.queryLong(EXISTS_SQL, SEEN.get(PerClassSample.class))).isZero();
    }

    @FlowFabricPostgres
    static class FirstSample {
        @Test
        void recordsItsDatabase(TestDatabase db) {
            SEEN.put(FirstSample.class, db.name());
            assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
        }
    }

    @FlowFabricPostgres
    static class SecondSample {
        @Test
        void recordsItsDatabase(TestDatabase db) {
            SEEN.put(SecondSample.class, db.name());
            assertThat(db.queryValue("SELECT current_database()")).contains(db.name());
        }
    }

    @FlowFabricPostgres
    static class FailingSample {
        @Test
        void fails(TestDatabase db) {
            SEEN.put(FailingSample.class, db.name());
            assertThat(db.queryLong("SELECT 1")).isEqualTo(2);
        }
    }

    @FlowFabricPostgres
    static class FailingBeforeAllSample {
        @BeforeAll
        static void fails(TestDatabase db) {
            SEEN.put(FailingBeforeAllSample.class, db.name());
            throw new IllegalStateException("before-all failure on purpose");
        }

        @Test
        void neverRuns() {
            assertThat(SEEN).isEmpty();
        }
    }

    @FlowFabricPostgres
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassSample {
        private final TestDatabase db;

        PerClassSample(TestDatabase db) {
            this.db = db;
        }

        @Test
        void recordsItsDatabase() {
            SEEN.put(PerClassSample.class, db.name());
            assertThat(db.queryLong("SELECT 1")).isEqualTo(1);
        }
    }
}
