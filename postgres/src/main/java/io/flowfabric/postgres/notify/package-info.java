/**
 * Internal: the engine's one notification hub. A single dedicated, non-pooled connection LISTENs on
 * reference-counted channels; waiters (claims, subscriptions, tails) register interest and get wake-ups. Notifications
 * are only wake-ups: every waiter also re-reads on a bounded poll interval, so correctness never depends on them.
 */
@NullMarked
package io.flowfabric.postgres.notify;

import org.jspecify.annotations.NullMarked;
