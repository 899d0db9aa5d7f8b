package io.flowfabric.core.events;

import io.flowfabric.core.state.OperatorEventType;
import io.flowfabric.core.state.OperatorSubjectKind;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One operator event (spec 04 §1): an operator action or a policy enforcement, about one subject.
 *
 * @param subjectId the subject's id in text form: {@code ExecutionId.toString()} for an execution, the flow's UUID
 *                  for a flow
 * @param actor     who acted, when the action names one
 * @param details   the event's details as a JSON object text (for example a cancel's {@code reason})
 * @param namespace the subject's namespace; {@code null} for subjects without one (signing keys)
 * @since 0.1
 */
public record OperatorEvent(EventCursor cursor, long eventId, OperatorSubjectKind subjectKind, String subjectId,
                            OperatorEventType type, @Nullable String actor, String details,
                            @Nullable String namespace, @Nullable String instanceTag, Instant occurredAt,
                            boolean gap) {
}
