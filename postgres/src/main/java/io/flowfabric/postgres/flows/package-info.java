/**
 * Flows on PostgreSQL (spec 03): structure and staging ({@code PgFlowOperations}), edge resolution with the latched
 * group decision ({@code EdgeResolver}), the completion dispatcher, sibling cancels and flow cancel with its backlog.
 * Every statement of a flow touches one partition: the flow's.
 */
@NullMarked
package io.flowfabric.postgres.flows;

import org.jspecify.annotations.NullMarked;
