package io.flowfabric.core.execution;

import java.util.Map;

/**
 * The input side of an execution: payload, encoding, kind and tags.
 *
 * @since 0.1
 */
public record ExecutionInput(byte[] input, String encoding, String executionKind, Map<String, String> tags) {

    public ExecutionInput {
        tags = Map.copyOf(tags);
    }
}
