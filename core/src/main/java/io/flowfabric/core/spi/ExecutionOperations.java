package io.flowfabric.core.spi;

import io.flowfabric.core.execution.AttemptSnapshot;
import io.flowfabric.core.execution.CreateExecution;
import io.flowfabric.core.execution.CreateResult;
import io.flowfabric.core.execution.ExecutionInput;
import io.flowfabric.core.execution.ExecutionQuery;
import io.flowfabric.core.execution.ExecutionSnapshot;
import io.flowfabric.core.execution.ExecutionSummary;
import io.flowfabric.core.execution.ExpiredLease;
import io.flowfabric.core.execution.Page;
import io.flowfabric.core.execution.Payload;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.state.PublicState;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Creating executions and reading them back (spec 02 §2 and §7). See the package documentation for the contract
 * every method shares.
 *
 * @since 0.1
 */
public interface ExecutionOperations {

    /**
     * Creates an execution in one transaction: runnable at once, or delayed when a delay ends in the future.
     *
     * <p>Idempotent: repeating with the same execution id, or with the same idempotency key while it lives, emits
     * {@link CreateResult.Duplicate} with the original id and changes nothing. Errors:
     * {@code ValidationException} for bad input (including a deadline not after the database's now),
     * {@code NotFoundException(BUDGET | QUOTA_POLICY | FLOW)} for missing references.
     *
     * @return a cold {@code Mono} emitting exactly one result
     */
    Mono<CreateResult> createExecution(CreateExecution request);

    /** Everything about one execution, or empty when it does not exist. */
    Mono<Optional<ExecutionSnapshot>> describeExecution(ExecutionId id);

    /** The public state, or empty when the execution does not exist. */
    Mono<Optional<PublicState>> readExecutionState(ExecutionId id);

    /** The result bytes, present only for an execution that completed successfully with a result. */
    Mono<Optional<Payload>> getExecutionResult(ExecutionId id);

    /** Input payload, encoding, kind and tags, or empty when the execution does not exist. */
    Mono<Optional<ExecutionInput>> readExecutionInput(ExecutionId id);

    /**
     * One keyset page of executions.
     *
     * @param cursor {@code null} for the first page, else the previous page's {@code nextCursor}
     * @param limit  0..1000 (0 gives an empty page without a cursor); above 1000 is
     *               {@code ValidationException(LIMIT_EXCEEDED)}
     */
    Mono<Page<ExecutionSummary>> listExecutions(ExecutionQuery query, @Nullable String cursor, int limit);

    /** Every attempt of the execution ordered by index; empty when the execution does not exist. */
    Flux<AttemptSnapshot> listAttempts(ExecutionId id);

    /** Known lanes in sorted order; the cursor is the last lane of the previous page. */
    Mono<Page<String>> listLanes(@Nullable String cursor, int limit);

    /**
     * Active executions whose lease has expired on the database clock but was not swept yet, ordered by expiry then
     * id. Limit 0..10 000.
     */
    Mono<Page<ExpiredLease>> listExpiredLeases(@Nullable String namespace, @Nullable String cursor, int limit);
}
