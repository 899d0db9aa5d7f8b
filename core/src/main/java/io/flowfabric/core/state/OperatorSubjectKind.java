package io.flowfabric.core.state;

import java.util.Map;

/**
 * What an operator event is about (spec 04 §1). Stored as its canonical {@linkplain #literal() literal}.
 *
 * @since 0.1
 */
public enum OperatorSubjectKind {
    /** {@code execution}: the subject id is the execution id's text form ({@code ExecutionId.toString()}). */
    EXECUTION("execution"),
    /** {@code flow}: the subject id is the flow id's text form. */
    FLOW("flow"),
    /** {@code budget}. */
    BUDGET("budget"),
    /** {@code quota_policy}. */
    QUOTA_POLICY("quota_policy"),
    /** {@code worker}. */
    WORKER("worker"),
    /** {@code signing_key}. */
    SIGNING_KEY("signing_key");

    private static final Map<String, OperatorSubjectKind> BY_LITERAL =
            Literals.index(values(), OperatorSubjectKind::literal);

    private final String literal;

    OperatorSubjectKind(String literal) {
        this.literal = literal;
    }

    /**
     * The canonical literal stored in the database.
     *
     * @return the literal, for example {@code execution}
     */
    public String literal() {
        return literal;
    }

    /**
     * Looks a value up by its canonical literal.
     *
     * @param literal the literal
     * @return the value
     * @throws IllegalArgumentException when the literal is unknown
     */
    public static OperatorSubjectKind fromLiteral(String literal) {
        return Literals.lookup(BY_LITERAL, literal, "OperatorSubjectKind");
    }
}
