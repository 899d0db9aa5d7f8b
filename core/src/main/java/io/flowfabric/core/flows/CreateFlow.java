package io.flowfabric.core.flows;

import io.flowfabric.core.id.FlowId;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request to create a flow (spec 03 §1). Validated at subscription.
 *
 * @param flowId    the id to use; a random one when {@code null}
 * @param namespace default {@code default}
 * @param kind      what the flow is, 1–128 printable ASCII bytes; default {@code default}
 * @since 0.1
 */
public record CreateFlow(@Nullable FlowId flowId, @Nullable String namespace, @Nullable String kind,
                         Map<String, String> tags) {

    public CreateFlow {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    /** A flow in {@code namespace} of {@code kind} with a fresh id. */
    public static CreateFlow of(@Nullable String namespace, @Nullable String kind) {
        return new CreateFlow(null, namespace, kind, Map.of());
    }

    public CreateFlow withId(FlowId id) {
        return new CreateFlow(id, namespace, kind, tags);
    }
}
