package io.flowfabric.postgres.executions;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.id.BudgetId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.id.QuotaPolicyId;
import io.flowfabric.core.policy.ExecutionPolicy;
import io.flowfabric.core.validation.InputRules;
import io.flowfabric.core.validation.Limits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CreateExecution} that passed every rule of spec 09 that can be checked without the database, with
 * defaults applied, the priority clamped, capabilities sorted and the id minted. Deadlines and absolute delays are
 * checked against the database clock in the transaction.
 */
record ValidCreate(ExecutionId id, String namespace, String lane, String executionKind, byte[] input,
                   String inputEncoding, int priority, @Nullable String creatorIdentity,
                   @Nullable String idempotencyKey, long idempotencyTtlMs, Map<String, String> tags,
                   @Nullable String instanceTag, String policyJson, @Nullable Long delayUntilMs,
                   @Nullable Long delayForMs, @Nullable Long deadlineAtMs, @Nullable Long deadlineAfterMs,
                   @Nullable FlowId flowId, List<String> requiredCapabilities, List<BudgetId> budgetIds,
                   @Nullable QuotaPolicyId quotaPolicyId, List<Dependency> dependsOn,
                   @Nullable EdgeGroupPolicy dependsOnPolicy) {

    private static final Duration MIN_IDEMPOTENCY_TTL = Duration.ofMinutes(1);
    private static final Duration MAX_IDEMPOTENCY_TTL = Duration.ofDays(30);
    private static final Duration MAX_AHEAD = Duration.ofDays(365);
    private static final int MAX_BUDGETS = 8;

    static ValidCreate of(CreateExecution r, int maxInputBytes, String instanceTagKey) {
        if (r == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "request is required");
        }
        String namespace = r.namespace() == null ? CreateExecution.DEFAULT_NAMESPACE : r.namespace();
        InputRules.namespace(namespace);
        InputRules.lane(r.lane());
        String kind = r.executionKind() == null ? CreateExecution.DEFAULT_KIND : r.executionKind();
        InputRules.executionKind(kind);
        InputRules.maxBytes("input", r.input().length, maxInputBytes);
        String encoding = r.inputEncoding() == null ? CreateExecution.DEFAULT_ENCODING : r.inputEncoding();
        InputRules.encoding(encoding);
        if (r.creatorIdentity() != null) {
            InputRules.maxUtf8Bytes("creatorIdentity", r.creatorIdentity(), Limits.MAX_IDENTITY_BYTES,
                    ValidationException.Kind.LIMIT_EXCEEDED);
        }
        Duration keyTtl = r.idempotencyTtl() == null ? CreateExecution.DEFAULT_IDEMPOTENCY_TTL : r.idempotencyTtl();
        if (r.idempotencyKey() != null) {
            if (r.idempotencyKey().isEmpty()) {
                throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                        "idempotencyKey must not be empty");
            }
            InputRules.maxUtf8Bytes("idempotencyKey", r.idempotencyKey(), Limits.MAX_IDEMPOTENCY_KEY_BYTES,
                    ValidationException.Kind.LIMIT_EXCEEDED);
            InputRules.durationInRange("idempotencyTtl", keyTtl, MIN_IDEMPOTENCY_TTL, MAX_IDEMPOTENCY_TTL,
                    ValidationException.Kind.INVALID_INPUT);
        }
        InputRules.tags(r.tags());
        List<String> capabilities = InputRules.capabilities(r.requiredCapabilities());
        if (r.budgetIds().size() > MAX_BUDGETS) {
            throw new ValidationException(ValidationException.Kind.LIMIT_EXCEEDED,
                    "at most " + MAX_BUDGETS + " budgets per execution, got " + r.budgetIds().size());
        }
        if (r.delayUntil() != null && r.delayFor() != null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "give delayUntil or delayFor, not both");
        }
        if (r.delayFor() != null) {
            InputRules.durationInRange("delayFor", r.delayFor(), Duration.ZERO, MAX_AHEAD,
                    ValidationException.Kind.INVALID_INPUT);
        }
        if (r.deadlineAt() != null && r.deadlineAfter() != null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "give deadlineAt or deadlineAfter, not both");
        }
        if (r.deadlineAfter() != null) {
            InputRules.durationInRange("deadlineAfter", r.deadlineAfter(), Duration.ofMillis(1), MAX_AHEAD,
                    ValidationException.Kind.INVALID_INPUT);
        }
        if ((!r.dependsOn().isEmpty() || r.dependsOnPolicy() != null) && r.flowId() == null) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT, "dependsOn requires a flowId");
        }
        ExecutionPolicy policy = r.policy() == null ? ExecutionPolicy.defaults() : r.policy();
        ExecutionId id = mintOrCheck(r.executionId(), r.flowId());
        return new ValidCreate(id, namespace, r.lane(), kind, r.input(), encoding,
                InputRules.clampPriority(r.priority()), r.creatorIdentity(), r.idempotencyKey(), keyTtl.toMillis(),
                r.tags(), r.tags().get(instanceTagKey), policy.toJson(),
                r.delayUntil() == null ? null : r.delayUntil().toEpochMilli(),
                r.delayFor() == null ? null : r.delayFor().toMillis(),
                r.deadlineAt() == null ? null : r.deadlineAt().toEpochMilli(),
                r.deadlineAfter() == null ? null : r.deadlineAfter().toMillis(),
                r.flowId(), capabilities, r.budgetIds(), r.quotaPolicyId(), r.dependsOn(), r.dependsOnPolicy());
    }

    private static ExecutionId mintOrCheck(@Nullable ExecutionId given, @Nullable FlowId flow) {
        if (given == null) {
            return flow == null ? ExecutionId.standalone() : ExecutionId.forFlow(flow);
        }
        if (flow != null && given.partition() != flow.partition()) {
            throw new ValidationException(ValidationException.Kind.PARTITION_MISMATCH,
                    "execution " + given + " is not in the partition of flow " + flow + " ({fp:"
                            + flow.partition() + "})");
        }
        return given;
    }
}
