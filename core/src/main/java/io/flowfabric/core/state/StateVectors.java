package io.flowfabric.core.state;

import static io.flowfabric.core.state.AttemptState.ATTEMPT_INTERRUPTED;
import static io.flowfabric.core.state.AttemptState.PENDING_FIRST_ATTEMPT;
import static io.flowfabric.core.state.AttemptState.PENDING_REPLAY_ATTEMPT;
import static io.flowfabric.core.state.AttemptState.PENDING_RETRY_ATTEMPT;
import static io.flowfabric.core.state.AttemptState.RUNNING_ATTEMPT;
import static io.flowfabric.core.state.EligibilityState.BLOCKED_BY_DEPENDENCIES;
import static io.flowfabric.core.state.EligibilityState.ELIGIBLE_NOW;
import static io.flowfabric.core.state.EligibilityState.NOT_APPLICABLE;
import static io.flowfabric.core.state.EligibilityState.NOT_ELIGIBLE_UNTIL_TIME;
import static io.flowfabric.core.state.LifecyclePhase.ACTIVE;
import static io.flowfabric.core.state.LifecyclePhase.RUNNABLE;
import static io.flowfabric.core.state.LifecyclePhase.SUSPENDED;
import static io.flowfabric.core.state.LifecyclePhase.TERMINAL;
import static io.flowfabric.core.state.OwnershipState.LEASED;
import static io.flowfabric.core.state.OwnershipState.LEASE_EXPIRED_RECLAIMABLE;
import static io.flowfabric.core.state.OwnershipState.LEASE_REVOKED;
import static io.flowfabric.core.state.OwnershipState.UNOWNED;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The state vectors the engine writes (spec 01 §5.2). Every transition writes one of these; no other combination
 * is ever stored. Vectors with "(unchanged)" fields are built from the vector they replace by
 * {@link #blockedByBudget}, {@link #blockedByQuota} and {@link #pausedByFlowCancel}.
 *
 * @since 0.1
 */
public final class StateVectors {

    /** Ready, never run. */
    public static final StateVector READY = runnable(UNOWNED, ELIGIBLE_NOW,
            BlockingReason.WAITING_FOR_WORKER, PENDING_FIRST_ATTEMPT);
    /** Created with a delay. */
    public static final StateVector CREATED_DELAYED = runnable(UNOWNED, NOT_ELIGIBLE_UNTIL_TIME,
            BlockingReason.WAITING_FOR_DELAY, PENDING_FIRST_ATTEMPT);
    /** Waiting for dependencies, never started. */
    public static final StateVector WAITING_DEPENDENCIES_FIRST = runnable(UNOWNED, BLOCKED_BY_DEPENDENCIES,
            BlockingReason.WAITING_FOR_CHILDREN, PENDING_FIRST_ATTEMPT);
    /** Waiting for dependencies before a replay attempt (a replayed downstream). */
    public static final StateVector WAITING_DEPENDENCIES_REPLAY = runnable(UNOWNED, BLOCKED_BY_DEPENDENCIES,
            BlockingReason.WAITING_FOR_CHILDREN, PENDING_REPLAY_ATTEMPT);
    /** Running under a lease. */
    public static final StateVector RUNNING = new StateVector(ACTIVE, LEASED, NOT_APPLICABLE,
            BlockingReason.NONE, RUNNING_ATTEMPT, TerminalOutcome.NONE);
    /** Retry backoff: a retry is scheduled after a delay. */
    public static final StateVector RETRY_BACKOFF = runnable(UNOWNED, NOT_ELIGIBLE_UNTIL_TIME,
            BlockingReason.WAITING_FOR_RETRY_BACKOFF, PENDING_RETRY_ATTEMPT);
    /** Retry ready: the next claim inserts a retry attempt. */
    public static final StateVector RETRY_READY = runnable(UNOWNED, ELIGIBLE_NOW,
            BlockingReason.WAITING_FOR_WORKER, PENDING_RETRY_ATTEMPT);
    /** Replay ready: the next claim inserts a replay attempt. */
    public static final StateVector REPLAY_READY = runnable(UNOWNED, ELIGIBLE_NOW,
            BlockingReason.WAITING_FOR_WORKER, PENDING_REPLAY_ATTEMPT);
    /** The worker delayed itself; the attempt is paused. */
    public static final StateVector WORKER_DELAYED = runnable(UNOWNED, NOT_ELIGIBLE_UNTIL_TIME,
            BlockingReason.WAITING_FOR_DELAY, ATTEMPT_INTERRUPTED);
    /** The worker waits for its children; the attempt is paused. */
    public static final StateVector WORKER_WAITS_CHILDREN = runnable(UNOWNED, BLOCKED_BY_DEPENDENCIES,
            BlockingReason.WAITING_FOR_CHILDREN, ATTEMPT_INTERRUPTED);
    /** Suspended waiting for a signal. */
    public static final StateVector SUSPENDED_SIGNAL = suspendedVector(BlockingReason.WAITING_FOR_SIGNAL);
    /** Suspended waiting for an approval. */
    public static final StateVector SUSPENDED_APPROVAL = suspendedVector(BlockingReason.WAITING_FOR_APPROVAL);
    /** Suspended waiting for a callback. */
    public static final StateVector SUSPENDED_CALLBACK = suspendedVector(BlockingReason.WAITING_FOR_CALLBACK);
    /** Suspended waiting for a tool result. */
    public static final StateVector SUSPENDED_TOOL_RESULT = suspendedVector(BlockingReason.WAITING_FOR_TOOL_RESULT);
    /** Resumed with a delay that has not elapsed. */
    public static final StateVector RESUMED_DELAYED = runnable(UNOWNED, NOT_ELIGIBLE_UNTIL_TIME,
            BlockingReason.WAITING_FOR_RESUME_DELAY, ATTEMPT_INTERRUPTED);
    /** The paused attempt is ready to be continued (derives {@code resumable}). */
    public static final StateVector PAUSED_READY = runnable(UNOWNED, ELIGIBLE_NOW,
            BlockingReason.WAITING_FOR_WORKER, ATTEMPT_INTERRUPTED);
    /** The lease expired; the next claim starts a reclaim attempt (derives {@code waiting}). */
    public static final StateVector LEASE_EXPIRED_AWAITING_RECLAIM = runnable(LEASE_EXPIRED_RECLAIMABLE,
            ELIGIBLE_NOW, BlockingReason.WAITING_FOR_WORKER, ATTEMPT_INTERRUPTED);
    /** The lease was revoked; the next claim starts a reclaim attempt (derives {@code waiting}). */
    public static final StateVector LEASE_REVOKED_AWAITING_RECLAIM = runnable(LEASE_REVOKED,
            ELIGIBLE_NOW, BlockingReason.WAITING_FOR_WORKER, ATTEMPT_INTERRUPTED);

    private static final List<StateVector> ELIGIBLE = List.of(READY, RETRY_READY, REPLAY_READY, PAUSED_READY,
            LEASE_EXPIRED_AWAITING_RECLAIM, LEASE_REVOKED_AWAITING_RECLAIM);

    private static final List<StateVector> ALL_WRITTEN = computeAllWritten();

    private StateVectors() {
    }

    /**
     * The suspended vector for one of the four suspension reasons.
     *
     * @param reason {@code waiting_for_signal}, {@code waiting_for_approval}, {@code waiting_for_callback} or
     *               {@code waiting_for_tool_result}
     * @return the vector
     * @throws IllegalArgumentException for any other reason
     */
    public static StateVector suspended(BlockingReason reason) {
        Objects.requireNonNull(reason, "reason");
        switch (reason) {
            case WAITING_FOR_SIGNAL:
                return SUSPENDED_SIGNAL;
            case WAITING_FOR_APPROVAL:
                return SUSPENDED_APPROVAL;
            case WAITING_FOR_CALLBACK:
                return SUSPENDED_CALLBACK;
            case WAITING_FOR_TOOL_RESULT:
                return SUSPENDED_TOOL_RESULT;
            default:
                throw new IllegalArgumentException("not a suspension reason: " + reason.literal());
        }
    }

    /**
     * The terminal vector.
     *
     * @param outcome         success, failed, cancelled, expired or skipped
     * @param attemptEverRan  whether any attempt ran; the attempt state is {@code attempt_terminal} if so,
     *                        {@code none} otherwise
     * @return the vector
     * @throws IllegalArgumentException for outcome {@code none}
     */
    public static StateVector terminal(TerminalOutcome outcome, boolean attemptEverRan) {
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == TerminalOutcome.NONE) {
            throw new IllegalArgumentException("a terminal vector needs an outcome other than none");
        }
        return new StateVector(TERMINAL, UNOWNED, NOT_APPLICABLE, BlockingReason.NONE,
                attemptEverRan ? AttemptState.ATTEMPT_TERMINAL : AttemptState.NONE, outcome);
    }

    /**
     * Admission denied by a budget: ownership and attempt state are kept from the vector it replaces.
     *
     * @param from the current vector
     * @return runnable, {@code blocked_by_budget}, {@code waiting_for_budget}
     */
    public static StateVector blockedByBudget(StateVector from) {
        return keepingOwnership(from, EligibilityState.BLOCKED_BY_BUDGET, BlockingReason.WAITING_FOR_BUDGET);
    }

    /**
     * Admission denied by a quota: ownership and attempt state are kept from the vector it replaces.
     *
     * @param from the current vector
     * @return runnable, {@code blocked_by_quota}, {@code waiting_for_quota}
     */
    public static StateVector blockedByQuota(StateVector from) {
        return keepingOwnership(from, EligibilityState.BLOCKED_BY_QUOTA, BlockingReason.WAITING_FOR_QUOTA);
    }

    /**
     * A member of a flow being cancelled: ownership and attempt state are kept from the vector it replaces.
     *
     * @param from the current vector
     * @return runnable, {@code blocked_by_operator}, {@code paused_by_flow_cancel}
     */
    public static StateVector pausedByFlowCancel(StateVector from) {
        return keepingOwnership(from, EligibilityState.BLOCKED_BY_OPERATOR, BlockingReason.PAUSED_BY_FLOW_CANCEL);
    }

    /**
     * Every vector the engine can write, without duplicates: the named constants, the four suspended vectors, the
     * budget and quota blocks of every eligible vector, the flow-cancel pause of every runnable vector, and the
     * terminal vectors of every outcome with and without an attempt.
     *
     * @return an immutable list
     */
    public static List<StateVector> allWritten() {
        return ALL_WRITTEN;
    }

    private static List<StateVector> computeAllWritten() {
        List<StateVector> base = List.of(READY, CREATED_DELAYED, WAITING_DEPENDENCIES_FIRST,
                WAITING_DEPENDENCIES_REPLAY, RUNNING, RETRY_BACKOFF, RETRY_READY, REPLAY_READY, WORKER_DELAYED,
                WORKER_WAITS_CHILDREN, SUSPENDED_SIGNAL, SUSPENDED_APPROVAL, SUSPENDED_CALLBACK,
                SUSPENDED_TOOL_RESULT, RESUMED_DELAYED, PAUSED_READY, LEASE_EXPIRED_AWAITING_RECLAIM,
                LEASE_REVOKED_AWAITING_RECLAIM);
        Set<StateVector> all = new LinkedHashSet<>(base);
        for (StateVector eligible : ELIGIBLE) {
            all.add(blockedByBudget(eligible));
            all.add(blockedByQuota(eligible));
        }
        for (StateVector vector : new ArrayList<>(all)) {
            if (vector.lifecycle() == RUNNABLE) {
                all.add(pausedByFlowCancel(vector));
            }
        }
        for (TerminalOutcome outcome : TerminalOutcome.values()) {
            if (outcome != TerminalOutcome.NONE) {
                all.add(terminal(outcome, true));
                all.add(terminal(outcome, false));
            }
        }
        return List.copyOf(all);
    }

    private static StateVector keepingOwnership(StateVector from, EligibilityState eligibility,
            BlockingReason reason) {
        Objects.requireNonNull(from, "from");
        if (from.lifecycle() != RUNNABLE) {
            throw new IllegalArgumentException("only a runnable vector can be blocked, not " + from);
        }
        return new StateVector(RUNNABLE, from.ownership(), eligibility, reason, from.attemptState(),
                TerminalOutcome.NONE);
    }

    private static StateVector runnable(OwnershipState ownership, EligibilityState eligibility,
            BlockingReason reason, AttemptState attemptState) {
        return new StateVector(RUNNABLE, ownership, eligibility, reason, attemptState, TerminalOutcome.NONE);
    }

    private static StateVector suspendedVector(BlockingReason reason) {
        return new StateVector(SUSPENDED, UNOWNED, NOT_APPLICABLE, reason, ATTEMPT_INTERRUPTED,
                TerminalOutcome.NONE);
    }
}
