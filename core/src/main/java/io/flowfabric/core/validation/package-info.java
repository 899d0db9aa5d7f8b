/**
 * Input validation at the public boundary (spec 09 §1–§5): {@link io.flowfabric.core.validation.InputRules} checks
 * names, identifiers, sizes and ranges and throws {@code ValidationException} with a detail naming the field and the
 * rule; {@link io.flowfabric.core.validation.Limits} holds the numeric limits. Limits are exact (a 64 KiB limit
 * accepts 65 536 bytes and rejects 65 537), sizes are UTF-8 bytes, and nothing is silently truncated; the only
 * silent adjustment is the priority clamp.
 */
@NullMarked
package io.flowfabric.core.validation;

import org.jspecify.annotations.NullMarked;
