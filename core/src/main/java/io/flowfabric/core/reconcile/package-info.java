/**
 * Reconcilers: the background jobs that finish or repair what foreground operations and crashes leave half done
 * (lease expiry, delayed promotion, ...). A backend schedules them itself; {@link io.flowfabric.core.reconcile.TickReport}
 * reports what one tick did, so tests and operators can drive them by hand.
 */
@NullMarked
package io.flowfabric.core.reconcile;

import org.jspecify.annotations.NullMarked;
