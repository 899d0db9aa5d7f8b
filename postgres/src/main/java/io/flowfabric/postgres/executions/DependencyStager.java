package io.flowfabric.postgres.executions;

import io.flowfabric.core.flows.Dependency;
import io.flowfabric.core.flows.EdgeGroupPolicy;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.FlowId;
import io.flowfabric.postgres.sql.Tx;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Internal. How {@code createExecution(dependsOn)} stages and applies the new execution's edges inside its own
 * transaction (spec 02 §2 step 5); implemented by the flows package.
 */
@FunctionalInterface
public interface DependencyStager {

    Mono<Void> stageAndApply(Tx tx, ExecutionId downstream, FlowId flow, List<Dependency> dependencies,
                             @Nullable EdgeGroupPolicy policy);
}
