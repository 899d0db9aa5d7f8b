package io.flowfabric.core.execution;

import java.time.Instant;

/**
 * The result of renewing a lease: the new expiry on the database clock and the (unchanged) epoch.
 *
 * @since 0.1
 */
public record LeaseRenewal(Instant leaseExpiresAt, long leaseEpoch) {
}
