package io.flowfabric.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The addressed entity does not exist (or no longer exists). Never retryable.
 *
 * @since 0.1
 */
public final class NotFoundException extends FlowFabricException {

    /** The kinds of entity that can be missing. */
    public enum Entity {
        /** An execution. */
        EXECUTION,
        /** A flow. */
        FLOW,
        /** A dependency edge. */
        EDGE,
        /** An attempt. */
        ATTEMPT,
        /** A waitpoint. */
        WAITPOINT,
        /** A budget. */
        BUDGET,
        /** A quota policy. */
        QUOTA_POLICY,
        /** A registered worker instance. */
        WORKER,
        /** A signing key. */
        SIGNING_KEY
    }

    /** The kind of entity that is missing. */
    private final Entity entity;

    /**
     * Creates the exception.
     *
     * @param entity the kind of entity that is missing
     * @param detail which one, for example its id
     */
    public NotFoundException(Entity entity, String detail) {
        this(entity, detail, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param entity the kind of entity that is missing
     * @param detail which one, for example its id
     * @param cause  the underlying failure, if any
     */
    public NotFoundException(Entity entity, String detail, @Nullable Throwable cause) {
        super("NOT_FOUND", Objects.requireNonNull(entity, "entity").name(), detail, cause);
        this.entity = entity;
    }

    /** @return the kind of entity that is missing */
    public Entity entity() {
        return entity;
    }

    /** @return always {@code false} */
    @Override
    public boolean retryable() {
        return false;
    }
}
