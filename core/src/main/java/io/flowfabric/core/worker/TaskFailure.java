package io.flowfabric.core.worker;

import io.flowfabric.core.policy.FailureClass;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown (or signalled) by a handler to fail its attempt with a specific failure class, category or detail. Any other
 * error fails the attempt as {@link FailureClass#TRANSIENT} (retried per the execution's policy).
 *
 * @since 0.1
 */
public class TaskFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final FailureClass failureClass;
    private final @Nullable String category;
    private final @Nullable String detail;

    public TaskFailure(String message, FailureClass failureClass) {
        this(message, failureClass, null, null, null);
    }

    public TaskFailure(String message, FailureClass failureClass, @Nullable String category, @Nullable String detail,
                       @Nullable Throwable cause) {
        super(message, cause);
        this.failureClass = Objects.requireNonNull(failureClass, "failureClass");
        this.category = category;
        this.detail = detail;
    }

    /** A failure that is never retried. */
    public static TaskFailure permanent(String message) {
        return new TaskFailure(message, FailureClass.PERMANENT);
    }

    public FailureClass failureClass() {
        return failureClass;
    }

    public @Nullable String category() {
        return category;
    }

    public @Nullable String detail() {
        return detail;
    }
}
