package io.flowfabric.core.execution;

/**
 * The result of {@code waitChildren} (spec 02 §5.5). Only {@link Waiting} releases the lease; the other outcomes keep
 * it and change nothing.
 *
 * @since 0.1
 */
public sealed interface ChildrenOutcome
        permits ChildrenOutcome.NoChildren, ChildrenOutcome.Satisfied, ChildrenOutcome.Impossible,
        ChildrenOutcome.Waiting {

    /** The execution has no edge group, or its group has no staged edges. */
    record NoChildren() implements ChildrenOutcome {
    }

    /** The group already latched {@code satisfied}. */
    record Satisfied(EdgeCounts counts) implements ChildrenOutcome {
    }

    /** The group already latched {@code impossible}. */
    record Impossible(EdgeCounts counts) implements ChildrenOutcome {
    }

    /** The group is pending; the attempt is paused until it latches. */
    record Waiting() implements ChildrenOutcome {
    }

    /** Counts of a group's edges by resolution. */
    record EdgeCounts(int staged, int success, int failed, int skipped) {
    }
}
