/**
 * The backend SPI: one small interface per family of operations. A backend (the PostgreSQL engine) implements each
 * family; the engine facade {@link io.flowfabric.core.FlowFabric} hands them out.
 *
 * <p>Contract shared by every method of every family, so that it is not repeated on each:
 * <ul>
 *   <li>Publishers are cold: nothing touches the database until subscription; each subscription runs the
 *       operation again.</li>
 *   <li>Invalid arguments are signalled as {@code onError(ValidationException)} at subscription, never thrown at
 *       assembly, and nothing is written.</li>
 *   <li>Errors are always {@link io.flowfabric.core.error.FlowFabricException} subclasses; use
 *       {@link io.flowfabric.core.error.FlowFabricException#retryable()} to decide whether to try again.</li>
 *   <li>Signals are emitted on driver (Netty) threads: {@code publishOn} before doing heavy or blocking work.</li>
 *   <li>Cancelling a write before it commits rolls it back. Cancelling after the commit was sent leaves the
 *       outcome unknown; operations documented as idempotent may simply be repeated.</li>
 * </ul>
 */
@NullMarked
package io.flowfabric.core.spi;

import org.jspecify.annotations.NullMarked;
