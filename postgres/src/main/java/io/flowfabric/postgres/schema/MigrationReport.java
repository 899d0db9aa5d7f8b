package io.flowfabric.postgres.schema;

import java.time.Duration;
import java.util.Objects;

/**
 * What one {@link SchemaManager#migrate()} did.
 *
 * @param changeSetsApplied how many changesets this call applied; 0 when the schema was already up to date
 * @param took              wall time of the whole call, including waiting for another node's migration
 * @since 0.1
 */
public record MigrationReport(int changeSetsApplied, Duration took) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException when {@code changeSetsApplied} or {@code took} is negative
     */
    public MigrationReport {
        Objects.requireNonNull(took, "took");
        if (changeSetsApplied < 0) {
            throw new IllegalArgumentException("changeSetsApplied must be >= 0, got " + changeSetsApplied);
        }
        if (took.isNegative()) {
            throw new IllegalArgumentException("took must not be negative, got " + took);
        }
    }
}
