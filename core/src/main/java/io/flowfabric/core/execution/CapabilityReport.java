package io.flowfabric.core.execution;

import java.util.SortedSet;

/**
 * What an engine is and supports, as reported by {@code admin().capabilities()}.
 *
 * @param engine   the backend's name, e.g. {@code flowfabric-postgres}
 * @param version  the library version
 * @param features sorted feature flags of the operations this engine implements
 * @since 0.1
 */
public record CapabilityReport(String engine, String version, int schemaVersion, int physicalPartitions,
                               SortedSet<String> features) {

    public CapabilityReport {
        features = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(features));
    }
}
