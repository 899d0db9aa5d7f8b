/**
 * Executions: the requests a caller sends (create, claim, fail, list) and the immutable results and snapshots the
 * engine returns. Every type here is a value: records compare by component, except that {@code byte[]} payload
 * components compare by identity (use {@link java.util.Arrays#equals(byte[], byte[])} in tests).
 *
 * <p>Requests are plain holders: they accept anything at construction so that a pipeline can be assembled without
 * throwing, and the engine validates them when the returned publisher is subscribed, signalling
 * {@link io.flowfabric.core.error.ValidationException} through {@code onError}.
 */
@NullMarked
package io.flowfabric.core.execution;

import org.jspecify.annotations.NullMarked;
