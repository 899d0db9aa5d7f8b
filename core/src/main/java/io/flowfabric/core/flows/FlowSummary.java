package io.flowfabric.core.flows;

import io.flowfabric.core.id.FlowId;
import java.time.Instant;

/**
 * One entry of {@code listFlows} (spec 03 §1, §12).
 *
 * @param state        the stored state: {@code open} or {@code cancelled}
 * @param derivedState {@code open}, {@code running}, {@code blocked}, {@code completed}, {@code failed} or
 *                     {@code cancelled}, as the flow-summary projector last computed it; a flow the projector has not
 *                     seen yet is derived from its members when listed
 * @since 0.1
 */
public record FlowSummary(FlowId flowId, String namespace, Instant createdAt, String state, String derivedState) {
}
