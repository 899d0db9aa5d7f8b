package io.flowfabric.core.flows;

import org.jspecify.annotations.Nullable;

/**
 * Which flows {@code listFlows} returns (spec 03 §1): either one logical partition (keyset on flow id) or one
 * namespace (keyset on creation time, then flow id). Exactly one of the two is set; anything else is rejected with
 * {@link io.flowfabric.core.error.ValidationException} when the listing is subscribed.
 *
 * @param partition a logical partition, 0..255
 * @param namespace a namespace
 * @since 0.1
 */
public record FlowQuery(@Nullable Integer partition, @Nullable String namespace) {

    /** All flows of one logical partition (0..255), ordered by flow id. */
    public static FlowQuery byPartition(int partition) {
        return new FlowQuery(partition, null);
    }

    /** All flows of one namespace, ordered by creation time, then flow id. */
    public static FlowQuery byNamespace(String namespace) {
        return new FlowQuery(null, namespace);
    }
}
