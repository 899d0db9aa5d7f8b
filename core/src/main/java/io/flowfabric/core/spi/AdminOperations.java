package io.flowfabric.core.spi;

import io.flowfabric.core.execution.CapabilityReport;
import java.time.Instant;
import reactor.core.publisher.Mono;

/**
 * Health and introspection.
 *
 * @since 0.1
 */
public interface AdminOperations {

    /** The database clock ({@code now_ms()}), the only time authority of the engine. */
    Mono<Instant> serverTime();

    /** Completes when the database answers a trivial query. */
    Mono<Void> ping();

    /** The engine's name, version, schema and feature flags. Does not touch the database. */
    Mono<CapabilityReport> capabilities();
}
