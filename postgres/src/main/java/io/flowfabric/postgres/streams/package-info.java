/**
 * Per-attempt output streams on PostgreSQL (spec 05): fenced appends with per-stream sequence numbers allocated under
 * the stream's meta row lock, JSON Merge Patch summaries, best-effort frames with a rate-driven length cap and a TTL,
 * range reads behind a shared concurrency gate, and tails and follows that park on the notification hub without
 * holding a pooled connection. {@link io.flowfabric.postgres.streams.StreamFamily} is the only public type: the engine
 * builds it and hands out its {@link io.flowfabric.core.spi.StreamOperations} and its {@code stream_ttl} job.
 */
@NullMarked
package io.flowfabric.postgres.streams;

import org.jspecify.annotations.NullMarked;
