/**
 * Execution policy (spec 02 §3): the retry policy with its failure classes and backoff, the attempt timeout, the
 * reclaim, replay and signal caps and the stream limits, with their defaults, validation rules and the normalised
 * JSON form stored with every execution. All types are immutable; invalid values are rejected when a value is
 * constructed, with {@code Validation(INVALID_POLICY)} naming the field.
 */
@NullMarked
package io.flowfabric.core.policy;

import org.jspecify.annotations.NullMarked;
