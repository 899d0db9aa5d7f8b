package io.flowfabric.core.execution;

import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.id.BudgetId;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.core.id.QuotaPolicyId;
import io.flowfabric.core.policy.ExecutionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request to create one execution (spec 02 §2).
 *
 * <p>Build it with {@link #builder(String)}. Nothing is validated here: {@code createExecution} validates every field
 * when it is subscribed and signals {@link io.flowfabric.core.error.ValidationException} without writing anything.
 * At most one of {@code delayUntil}/{@code delayFor} and one of {@code deadlineAt}/{@code deadlineAfter} may be set;
 * absolute instants are interpreted on the database clock.
 *
 * @param executionId   the id to use; minted by the engine when {@code null}
 * @param namespace     tenant label, default {@code default}
 * @param lane          the lane (work queue) the execution is claimed from
 * @param executionKind what the execution is; workers route on it, default {@code default}
 * @param input         the input payload, returned to the claimer byte for byte
 * @param inputEncoding a label describing {@code input}, default {@code binary}
 * @param priority      higher runs first; clamped to [0, 9000]
 * @since 0.1
 */
public record CreateExecution(
        @Nullable ExecutionId executionId,
        @Nullable String namespace,
        @Nullable String lane,
        @Nullable String executionKind,
        byte[] input,
        @Nullable String inputEncoding,
        int priority,
        @Nullable String creatorIdentity,
        @Nullable String idempotencyKey,
        @Nullable Duration idempotencyTtl,
        Map<String, String> tags,
        @Nullable ExecutionPolicy policy,
        @Nullable Instant delayUntil,
        @Nullable Duration delayFor,
        @Nullable Instant deadlineAt,
        @Nullable Duration deadlineAfter,
        @Nullable FlowId flowId,
        Set<String> requiredCapabilities,
        List<BudgetId> budgetIds,
        @Nullable QuotaPolicyId quotaPolicyId,
        List<Dependency> dependsOn,
        @Nullable EdgeGroupPolicy dependsOnPolicy) {

    /** The namespace used when none is given. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** The execution kind used when none is given. */
    public static final String DEFAULT_KIND = "default";
    /** The input encoding used when none is given. */
    public static final String DEFAULT_ENCODING = "binary";
    /** The idempotency-key lifetime used when none is given. */
    public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);

    public CreateExecution {
        input = input == null ? new byte[0] : input;
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        requiredCapabilities = requiredCapabilities == null ? Set.of() : Set.copyOf(requiredCapabilities);
        budgetIds = budgetIds == null ? List.of() : List.copyOf(budgetIds);
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    }

    /** Starts a request for the given lane; {@code null} is accepted here and rejected at subscription. */
    public static Builder builder(@Nullable String lane) {
        return new Builder().lane(lane);
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private @Nullable ExecutionId executionId;
        private @Nullable String namespace;
        private @Nullable String lane;
        private @Nullable String executionKind;
        private byte[] input = new byte[0];
        private @Nullable String inputEncoding;
        private int priority;
        private @Nullable String creatorIdentity;
        private @Nullable String idempotencyKey;
        private @Nullable Duration idempotencyTtl;
        private final Map<String, String> tags = new LinkedHashMap<>();
        private @Nullable ExecutionPolicy policy;
        private @Nullable Instant delayUntil;
        private @Nullable Duration delayFor;
        private @Nullable Instant deadlineAt;
        private @Nullable Duration deadlineAfter;
        private @Nullable FlowId flowId;
        private final Set<String> requiredCapabilities = new LinkedHashSet<>();
        private final List<BudgetId> budgetIds = new ArrayList<>();
        private @Nullable QuotaPolicyId quotaPolicyId;
        private final List<Dependency> dependsOn = new ArrayList<>();
        private @Nullable EdgeGroupPolicy dependsOnPolicy;

        private Builder() {
        }

        public Builder executionId(@Nullable ExecutionId id) { this.executionId = id; return this; }
        public Builder namespace(@Nullable String namespace) { this.namespace = namespace; return this; }
        public Builder lane(@Nullable String lane) { this.lane = lane; return this; }
        public Builder executionKind(@Nullable String kind) { this.executionKind = kind; return this; }

        /** Sets the input payload and its encoding label. The array is not copied. */
        public Builder input(byte[] input, @Nullable String encoding) {
            this.input = input;
            this.inputEncoding = encoding;
            return this;
        }

        /** Sets a UTF-8 text input with encoding {@code text/plain}. */
        public Builder input(String text) {
            return input(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/plain");
        }

        public Builder priority(int priority) { this.priority = priority; return this; }
        public Builder creatorIdentity(@Nullable String identity) { this.creatorIdentity = identity; return this; }

        /** Deduplicates creates with the same key in the namespace for {@code ttl} (default 24 h). */
        public Builder idempotencyKey(@Nullable String key, @Nullable Duration ttl) {
            this.idempotencyKey = key;
            this.idempotencyTtl = ttl;
            return this;
        }

        public Builder idempotencyKey(@Nullable String key) { return idempotencyKey(key, null); }
        public Builder tag(String key, String value) { this.tags.put(key, value); return this; }
        public Builder tags(Map<String, String> tags) { this.tags.putAll(tags); return this; }
        public Builder policy(@Nullable ExecutionPolicy policy) { this.policy = policy; return this; }
        public Builder delayUntil(@Nullable Instant at) { this.delayUntil = at; return this; }
        public Builder delayFor(@Nullable Duration d) { this.delayFor = d; return this; }
        public Builder deadlineAt(@Nullable Instant at) { this.deadlineAt = at; return this; }
        public Builder deadlineAfter(@Nullable Duration d) { this.deadlineAfter = d; return this; }
        public Builder flowId(@Nullable FlowId flowId) { this.flowId = flowId; return this; }
        public Builder requiredCapability(String token) { this.requiredCapabilities.add(token); return this; }
        public Builder requiredCapabilities(Set<String> tokens) { this.requiredCapabilities.addAll(tokens); return this; }
        public Builder budget(BudgetId id) { this.budgetIds.add(id); return this; }
        public Builder quotaPolicy(@Nullable QuotaPolicyId id) { this.quotaPolicyId = id; return this; }

        /**
         * Makes the new execution (a member of {@link #flowId}) depend on {@code upstream}: the edge is staged and
         * applied in the creating transaction, so the execution is born blocked on its dependencies, or already
         * decided when they are terminal.
         */
        public Builder dependsOn(Dependency upstream) { this.dependsOn.add(upstream); return this; }

        /** {@link #dependsOn(Dependency)} without data passing. */
        public Builder dependsOn(ExecutionId upstream) { return dependsOn(Dependency.on(upstream)); }

        /** The policy of the new execution's edge group (default {@code all_of}). */
        public Builder dependsOnPolicy(@Nullable EdgeGroupPolicy policy) { this.dependsOnPolicy = policy; return this; }

        public CreateExecution build() {
            return new CreateExecution(executionId, namespace, lane, executionKind, input, inputEncoding, priority,
                    creatorIdentity, idempotencyKey, idempotencyTtl, tags, policy, delayUntil, delayFor, deadlineAt,
                    deadlineAfter, flowId, requiredCapabilities, budgetIds, quotaPolicyId, dependsOn, dependsOnPolicy);
        }
    }
}
