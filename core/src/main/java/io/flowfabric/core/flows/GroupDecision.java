package io.flowfabric.core.flows;

/**
 * The pure decision rule of spec 03 §6, evaluated after every resolution of a sealed, pending group. Satisfied is
 * checked first. The database applies the same rule inside the hop transaction; this is the reference the tests
 * check it against.
 *
 * @since 0.1
 */
public enum GroupDecision {
    PENDING("pending"),
    SATISFIED("satisfied"),
    IMPOSSIBLE("impossible");

    private final String literal;

    GroupDecision(String literal) {
        this.literal = literal;
    }

    public String literal() {
        return literal;
    }

    public static GroupDecision fromLiteral(String literal) {
        for (GroupDecision d : values()) {
            if (d.literal.equals(literal)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown group state " + literal);
    }

    /**
     * @param n staged (sealed) edges
     * @param s successes
     * @param f failures (failed, cancelled, expired upstreams)
     * @param k skips
     */
    public static GroupDecision evaluate(EdgeGroupPolicy policy, int n, int s, int f, int k) {
        int r = n - s - f - k;
        return switch (policy.kind()) {
            case "all_of" -> s == n && n > 0 ? SATISFIED : f + k > 0 ? IMPOSSIBLE : PENDING;
            case "any_of" -> s >= 1 ? SATISFIED : s == 0 && r == 0 && n > 0 ? IMPOSSIBLE : PENDING;
            default -> s >= policy.k() ? SATISFIED : s + r < policy.k() ? IMPOSSIBLE : PENDING;
        };
    }
}
