/**
 * Flows: DAGs of member executions (spec 03). Edges run from an upstream to a downstream; the edges into one
 * downstream form its edge group, whose policy ({@code all_of}, {@code any_of}, {@code quorum}) latches one decision
 * ({@code satisfied} or {@code impossible}) that releases, skips or resumes the downstream and may cancel the
 * remaining siblings.
 */
@NullMarked
package io.flowfabric.core.flows;

import org.jspecify.annotations.NullMarked;
