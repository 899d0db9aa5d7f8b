package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The request conflicts with something that already exists (a duplicate key, an existing dependency, another flow's
 * member, a sealed group, a reassigned worker instance, an active signing key). Never retryable.
 *
 * @since 0.1
 */
public final class ConflictException extends FlowFabricException {

    /** The kinds of conflict (spec 01 §7). */
    public enum Kind {
        /** A unique key already exists (SQLSTATE 23505). */
        DUPLICATE,
        /** The edge between these executions already exists. */
        DEPENDENCY_ALREADY_EXISTS,
        /** The execution already belongs to another flow. */
        MEMBER_OF_OTHER_FLOW,
        /** The edge group is sealed and takes no more edges. */
        GROUP_SEALED,
        /** The worker instance id is registered to another worker. */
        INSTANCE_REASSIGNED,
        /** An active signing key already exists. */
        ACTIVE_KEY_EXISTS,
        /** A concurrent rotation changed the keystore. */
        KEY_ROTATION_CONFLICT
    }

    /** What went wrong. */
    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     */
    public ConflictException(Kind kind, String detail) {
        this(kind, detail, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param kind   what went wrong
     * @param detail the field, rule or entity involved
     * @param cause  the underlying failure, if any
     */
    public ConflictException(Kind kind, String detail, @Nullable Throwable cause) {
        super("CONFLICT", Objects.requireNonNull(kind, "kind").name(), detail, cause);
        this.kind = kind;
    }

    /** @return what went wrong */
    public Kind kind() {
        return kind;
    }

    /** @return always {@code false} */
    @Override
    public boolean retryable() {
        return false;
    }
}
