/**
 * Per-attempt output streams (spec 05): the frames a lease holder appends to the stream of its attempt, the cursors and
 * ids that address them, the read, tail and follow results, and the JSON Merge Patch summary document. Every type here
 * is a value; requests accept anything at construction and the engine validates them when the returned publisher is
 * subscribed, signalling {@link io.flowfabric.core.error.ValidationException} through {@code onError}.
 * {@link io.flowfabric.core.streams.JsonMergePatch} is the pure merge logic of summary frames.
 */
@NullMarked
package io.flowfabric.core.streams;

import org.jspecify.annotations.NullMarked;
