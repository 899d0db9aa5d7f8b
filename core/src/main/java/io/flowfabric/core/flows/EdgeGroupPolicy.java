package io.flowfabric.core.flows;

import io.flowfabric.core.error.ValidationException;

/**
 * When an edge group decides (spec 03 §3, §6). With n edges, s successes, f failures and r unresolved:
 * {@code all_of} is satisfied when s = n and impossible when any edge failed or was skipped; {@code any_of} is
 * satisfied at the first success and impossible when nothing can succeed any more; {@code quorum(k)} is satisfied at
 * k successes and impossible when s + r &lt; k. {@code any_of} and {@code quorum} may cancel the siblings still running
 * once the group has decided ({@link OnSatisfied#CANCEL_REMAINING}).
 *
 * @since 0.1
 */
public sealed interface EdgeGroupPolicy permits EdgeGroupPolicy.AllOf, EdgeGroupPolicy.AnyOf, EdgeGroupPolicy.Quorum {

    /** What happens to the still-running siblings once the group has decided. */
    enum OnSatisfied {
        CANCEL_REMAINING("cancel_remaining"),
        LET_RUN("let_run");

        private final String literal;

        OnSatisfied(String literal) {
            this.literal = literal;
        }

        public String literal() {
            return literal;
        }

        public static OnSatisfied fromLiteral(String literal) {
            for (OnSatisfied o : values()) {
                if (o.literal.equals(literal)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown on_satisfied " + literal);
        }
    }

    /** The stored {@code policy_kind}. */
    String kind();

    /** The quorum k (1 for any_of, 0 for all_of, meaning "all"). */
    int k();

    OnSatisfied onSatisfied();

    static EdgeGroupPolicy allOf() {
        return new AllOf();
    }

    static EdgeGroupPolicy anyOf(OnSatisfied onSatisfied) {
        return new AnyOf(onSatisfied);
    }

    static EdgeGroupPolicy quorum(int k, OnSatisfied onSatisfied) {
        return new Quorum(k, onSatisfied);
    }

    /** Every edge must succeed. Never cancels siblings. */
    record AllOf() implements EdgeGroupPolicy {
        @Override
        public String kind() {
            return "all_of";
        }

        @Override
        public int k() {
            return 0;
        }

        @Override
        public OnSatisfied onSatisfied() {
            return OnSatisfied.LET_RUN;
        }
    }

    /** One success is enough. */
    record AnyOf(OnSatisfied onSatisfied) implements EdgeGroupPolicy {
        public AnyOf {
            if (onSatisfied == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_POLICY, "any_of needs on_satisfied");
            }
        }

        @Override
        public String kind() {
            return "any_of";
        }

        @Override
        public int k() {
            return 1;
        }
    }

    /** k successes are enough; k ≥ 1. */
    record Quorum(int k, OnSatisfied onSatisfied) implements EdgeGroupPolicy {
        public Quorum {
            if (k < 1) {
                throw new ValidationException(ValidationException.Kind.INVALID_POLICY, "quorum k must be >= 1, got " + k);
            }
            if (onSatisfied == null) {
                throw new ValidationException(ValidationException.Kind.INVALID_POLICY, "quorum needs on_satisfied");
            }
        }

        @Override
        public String kind() {
            return "quorum";
        }
    }

    /** Rebuilds a policy from its stored columns. */
    static EdgeGroupPolicy of(String kind, int k, String onSatisfied) {
        return switch (kind) {
            case "all_of" -> allOf();
            case "any_of" -> anyOf(OnSatisfied.fromLiteral(onSatisfied));
            case "quorum" -> quorum(k, OnSatisfied.fromLiteral(onSatisfied));
            default -> throw new IllegalArgumentException("unknown edge group policy " + kind);
        };
    }
}
