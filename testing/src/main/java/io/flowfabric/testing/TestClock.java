package io.flowfabric.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A settable offset, in milliseconds, for time travel in tests. An engine configured with a {@code TestClock} as its
 * test-only clock offset ({@link LongSupplier}) reads it at the start of every transaction and sets it as
 * {@code flowfabric.clock_offset_ms}; the database's {@code now_ms()} then returns the real database time plus the
 * offset, so leases, delays, deadlines and timeouts expire without waiting.
 *
 * <p>It shifts nothing else: not the JVM's clocks, not {@code now()} or {@code clock_timestamp()} in SQL, not
 * Reactor's schedulers, and not engines or connections that were not configured with this instance. Moving the
 * offset does not wake anything up by itself; the next transaction (a reconciler tick, a claim) sees the new time.
 *
 * <p>Thread-safe: the offset is one atomic value, so a test thread may move it while engine threads read it. The
 * offset has millisecond precision; sub-millisecond parts of a {@link Duration} are dropped. Negative offsets move
 * the database clock back.
 *
 * <p>{@link FlowFabricPostgresExtension} gives each test class one instance, shared by all its lifecycle and test
 * methods:
 * <pre>{@code
 * @FlowFabricPostgres
 * class LeaseExpiryTest {
 *   @Test void expiresLease(TestDatabase db, TestClock clock) {
 *     // build the engine on db.r2dbcUrl() with clock as its clock offset, claim, then:
 *     clock.advance(Duration.ofMinutes(5));
 *   }
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class TestClock implements LongSupplier {

    private final AtomicLong offsetMillis = new AtomicLong();

    /** Creates a clock with offset zero: the database's real time. */
    public TestClock() {
    }

    /**
     * Moves the offset forward by {@code amount} (back when negative).
     *
     * @param amount how far to move
     * @return the new offset
     * @throws ArithmeticException when the offset would overflow a {@code long} of milliseconds
     */
    public Duration advance(Duration amount) {
        long delta = Objects.requireNonNull(amount, "amount").toMillis();
        return Duration.ofMillis(offsetMillis.accumulateAndGet(delta, Math::addExact));
    }

    /**
     * Sets the offset.
     *
     * @param offset the new offset from the database's real time; negative is in the past
     * @throws ArithmeticException when {@code offset} does not fit a {@code long} of milliseconds
     */
    public void set(Duration offset) {
        offsetMillis.set(Objects.requireNonNull(offset, "offset").toMillis());
    }

    /**
     * The current offset.
     *
     * @return the offset, {@link Duration#ZERO} for a new or reset clock
     */
    public Duration offset() {
        return Duration.ofMillis(offsetMillis.get());
    }

    /**
     * The current offset in milliseconds, the value an engine puts into {@code flowfabric.clock_offset_ms}.
     *
     * @return the offset in milliseconds
     */
    @Override
    public long getAsLong() {
        return offsetMillis.get();
    }

    /** Sets the offset back to zero. */
    public void reset() {
        offsetMillis.set(0);
    }

    @Override
    public String toString() {
        return "TestClock[offset=" + offset() + "]";
    }
}
