/**
 * Internal: the reconciler supervisor. Each {@link io.flowfabric.postgres.reconcile.ReconcilerJob} runs as a
 * {@code Flux.interval} pipeline that never overlaps itself; the jobs themselves live beside the tables they repair.
 */
@NullMarked
package io.flowfabric.postgres.reconcile;

import org.jspecify.annotations.NullMarked;
