/**
 * The worker runtime: register handlers per execution kind and let the runtime claim only what it can run, keep
 * leases alive, turn results into {@code complete} and errors into {@code fail}, and drain on close. It uses only the
 * backend SPI ({@link io.flowfabric.core.FlowFabric}), so it works with any backend.
 */
@NullMarked
package io.flowfabric.core.worker;

import org.jspecify.annotations.NullMarked;
