/**
 * Outbox subscriptions on PostgreSQL (spec 04 §4–§5): one generic, commit-order-safe reader
 * ({@code OutboxSubscription}) and the families built on it (completions, lease history). A family is a table, a
 * filter and a row mapper; signal-delivery and operator-event subscriptions are one {@code OutboxFamily} each.
 */
@NullMarked
package io.flowfabric.postgres.events;

import org.jspecify.annotations.NullMarked;
