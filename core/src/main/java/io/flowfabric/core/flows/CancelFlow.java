package io.flowfabric.core.flows;

import io.flowfabric.core.id.FlowId;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A request to cancel a flow (spec 03 §10).
 *
 * @param waitFor {@code null} or zero: return once the request committed; otherwise wait up to this long (at most
 *                5 min, local clock) for every selected member to be cancelled
 * @since 0.1
 */
public record CancelFlow(FlowId flowId, Policy policy, @Nullable String reason, @Nullable Duration waitFor,
                         @Nullable String actor) {

    /** Which members are cancelled. */
    public enum Policy {
        /** Members that are runnable, active or suspended. */
        CANCEL_ALL("cancel_all"),
        /** Runnable members that have not started; started ones run to their end. */
        CANCEL_PENDING("cancel_pending"),
        /** None: the flow is only marked cancelled, so nothing can be added to it. */
        FLOW_ONLY("flow_only");

        private final String literal;

        Policy(String literal) {
            this.literal = literal;
        }

        public String literal() {
            return literal;
        }

        public static Policy fromLiteral(String literal) {
            for (Policy p : values()) {
                if (p.literal.equals(literal)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown cancel policy " + literal);
        }
    }

    /** The outcome of a cancel request. */
    public sealed interface Result {

        /**
         * @param status {@code requested} (the drain continues in the background) or {@code completed}
         */
        record Accepted(Policy policy, List<String> memberIds, String status) implements Result {
            public Accepted {
                memberIds = List.copyOf(memberIds);
            }
        }

        /** The flow was already cancelled; nothing changed. */
        record AlreadyTerminal(Policy storedPolicy, @Nullable String storedReason, List<String> remainingMemberIds)
                implements Result {
            public AlreadyTerminal {
                remainingMemberIds = List.copyOf(remainingMemberIds);
            }
        }
    }
}
