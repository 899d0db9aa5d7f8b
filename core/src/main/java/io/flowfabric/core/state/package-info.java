/**
 * The execution state model (spec 01 §5): the canonical literals of every stored state column, the six-field
 * {@link io.flowfabric.core.state.StateVector} every transition writes at once, the only vectors the engine writes
 * ({@link io.flowfabric.core.state.StateVectors}), and the single public-state derivation
 * ({@link io.flowfabric.core.state.PublicStates}) that the database mirrors in SQL.
 */
@NullMarked
package io.flowfabric.core.state;

import org.jspecify.annotations.NullMarked;
