package io.flowfabric.core.execution;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a worker asks for when it claims (spec 02 §4).
 *
 * @param lanes            1..16 lanes to claim from
 * @param workerId         the worker's logical id
 * @param workerInstanceId the id of this running instance; fences and lease events carry it
 * @param capabilities     tokens this worker offers; an execution is claimable when its required capabilities are
 *                         a subset of these
 * @param leaseTtl         1 s..1 h, default 30 s
 * @param maxWait          0..5 min, default 0: how long a claim that finds nothing waits for work, measured on the
 *                         local clock
 * @param batchSize        1..100, the upper bound on executions claimed in one transaction by batch forms
 * @since 0.1
 */
public record ClaimRequest(
        List<String> lanes,
        @Nullable String workerId,
        @Nullable String workerInstanceId,
        Set<String> capabilities,
        @Nullable Duration leaseTtl,
        @Nullable Duration maxWait,
        int batchSize) {

    /** Lease TTL used when none is given. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);

    public ClaimRequest {
        lanes = lanes == null ? List.of() : List.copyOf(lanes);
        capabilities = capabilities == null ? Set.of() : Set.copyOf(capabilities);
    }

    /** Starts a request for a worker instance. */
    public static Builder builder(@Nullable String workerId, @Nullable String workerInstanceId) {
        return new Builder(workerId, workerInstanceId);
    }

    /** The lease TTL to grant, with the default applied. */
    public Duration effectiveLeaseTtl() {
        return leaseTtl == null ? DEFAULT_LEASE_TTL : leaseTtl;
    }

    /** The wait budget, with the default (zero) applied. */
    public Duration effectiveMaxWait() {
        return maxWait == null ? Duration.ZERO : maxWait;
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private final @Nullable String workerId;
        private final @Nullable String workerInstanceId;
        private final List<String> lanes = new ArrayList<>();
        private final Set<String> capabilities = new LinkedHashSet<>();
        private @Nullable Duration leaseTtl;
        private @Nullable Duration maxWait;
        private int batchSize = 1;

        private Builder(@Nullable String workerId, @Nullable String workerInstanceId) {
            this.workerId = workerId;
            this.workerInstanceId = workerInstanceId;
        }

        public Builder lane(String lane) { lanes.add(lane); return this; }
        public Builder lanes(List<String> lanes) { this.lanes.addAll(lanes); return this; }
        public Builder capability(String token) { capabilities.add(token); return this; }
        public Builder capabilities(Set<String> tokens) { capabilities.addAll(tokens); return this; }
        public Builder leaseTtl(@Nullable Duration ttl) { this.leaseTtl = ttl; return this; }
        public Builder maxWait(@Nullable Duration maxWait) { this.maxWait = maxWait; return this; }
        public Builder batchSize(int batchSize) { this.batchSize = batchSize; return this; }

        public ClaimRequest build() {
            return new ClaimRequest(lanes, workerId, workerInstanceId, capabilities, leaseTtl, maxWait, batchSize);
        }
    }
}
