package io.flowfabric.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 extension behind {@link FlowFabricPostgres}: one fresh {@link TestDatabase} per test class on the
 * JVM-wide {@link PostgresServer#shared() shared server}.
 *
 * <ul>
 *   <li><b>Isolation per class.</b> Before the class's first test (or earlier, when its constructor asks for one
 *       under {@code @TestInstance(PER_CLASS)}) it creates a database named after the class's simple name. Every
 *       test method of the class shares it; tests within a class must tolerate each other's data. After the class,
 *       also when tests or {@code @BeforeAll} methods failed, the database is dropped. {@code @Nested} classes use
 *       their enclosing class's database.</li>
 *   <li><b>Parameters.</b> Constructors, {@code @BeforeAll}/{@code @BeforeEach}/{@code @AfterEach}/{@code @AfterAll}
 *       methods and test methods may declare parameters of type {@link TestDatabase}, {@link PostgresServer} and
 *       {@link TestClock}. Within one class (and its nested classes) every parameter of a type is the same
 *       instance. The {@link TestClock} starts at offset zero and is not reset between methods.</li>
 *   <li><b>Lifecycles.</b> Works with the default {@code PER_METHOD} and with {@code PER_CLASS} test instances,
 *       and with parallel execution: the per-class state is created once, atomically.</li>
 * </ul>
 * The first test class that uses it starts the shared server (see {@link PostgresServer} for how it is chosen);
 * later classes reuse it.
 *
 * @since 0.1
 */
public final class FlowFabricPostgresExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(FlowFabricPostgresExtension.class);
    private static final String RESOURCES = "resources";

    /** Creates the extension; JUnit does this for {@link FlowFabricPostgres}. */
    public FlowFabricPostgresExtension() {
    }

    /**
     * Creates the test class's database, unless an enclosing class's database or an earlier constructor injection
     * already provides one. Blocks while the shared server starts and the database is created.
     *
     * @param context the class-level context
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        resources(context);
    }

    /**
     * Drops the database created for this class; does nothing for a nested class that uses its enclosing class's
     * database. As a store value the database is also closed when JUnit closes the class's store, which covers
     * paths where this callback does not run.
     *
     * @param context the class-level context
     */
    @Override
    public void afterAll(ExtensionContext context) {
        // remove() only looks at this class's own store level, so a nested class never drops its parent's database.
        ClassResources owned = context.getStore(NAMESPACE).remove(RESOURCES, ClassResources.class);
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * Whether the parameter is a {@link TestDatabase}, {@link PostgresServer} or {@link TestClock}.
     *
     * @param parameterContext the parameter
     * @param extensionContext the current context
     * @return true for the three supported types
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == TestDatabase.class || type == PostgresServer.class || type == TestClock.class;
    }

    /**
     * The test class's database, the shared server or the test class's clock.
     *
     * @param parameterContext the parameter
     * @param extensionContext the current context
     * @return the instance for the parameter's type
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        if (type == PostgresServer.class) {
            return PostgresServer.shared();
        }
        ClassResources resources = resources(extensionContext);
        return type == TestClock.class ? resources.clock() : resources.database();
    }

    /**
     * The resources of the test class that {@code context} belongs to, created on first use. The lookup sees the
     * enclosing classes' stores, which is how nested classes share their parent's database.
     */
    private static ClassResources resources(ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        Class<?> testClass = classContext.getRequiredTestClass();
        return classContext.getStore(NAMESPACE).computeIfAbsent(RESOURCES,
                key -> new ClassResources(PostgresServer.shared().createDatabase(testClass.getSimpleName()),
                        new TestClock()),
                ClassResources.class);
    }

    /** Method-level contexts (also those of test templates) sit below the class context; walk up to it. */
    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    /** What one test class gets; an {@link AutoCloseable} store value, so JUnit drops the database at the latest. */
    private record ClassResources(TestDatabase database, TestClock clock) implements AutoCloseable {

        @Override
        public void close() {
            database.close();
        }
    }
}
