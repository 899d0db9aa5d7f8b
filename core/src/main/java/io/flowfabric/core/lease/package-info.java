/**
 * Leases as seen by workers (spec 01 §3, §6): the {@link io.flowfabric.core.lease.LeaseFence} every lease-holder
 * operation is checked against, and the opaque {@link io.flowfabric.core.lease.Handle} a claim returns, with its
 * binary and base64url wire forms (FlowFabric handle codec v2, backend tag Postgres).
 *
 * <p>Handles are unsigned: the engine fences on persisted values, and the random lease id inside makes a handle
 * impossible to guess. A handle therefore is a bearer secret; never log it.
 */
@NullMarked
package io.flowfabric.core.lease;

import org.jspecify.annotations.NullMarked;
