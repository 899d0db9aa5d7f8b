/**
 * The error model (spec 01 §7): every failure of the engine is signalled as one unchecked root,
 * {@link io.flowfabric.core.error.FlowFabricException}, with a sealed set of subclasses, each carrying a kind, a
 * detail that names the field or rule involved, and {@code retryable()}.
 *
 * <p>Classification:
 * <table>
 *   <caption>Exception classes, their kinds and whether a caller may retry</caption>
 *   <tr><th>Class</th><th>Kinds</th><th>retryable</th></tr>
 *   <tr><td>{@link io.flowfabric.core.error.NotFoundException}</td>
 *       <td>entity: EXECUTION, FLOW, EDGE, ATTEMPT, WAITPOINT, BUDGET, QUOTA_POLICY, WORKER, SIGNING_KEY</td>
 *       <td>no</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.ValidationException}</td><td>see its {@code Kind}</td><td>no</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.ContentionException}</td>
 *       <td>SERIALIZATION_FAILURE, DEADLOCK, LOCK_TIMEOUT, RETRY_EXHAUSTED, STALE_GRAPH_REVISION</td><td>yes</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.ConflictException}</td>
 *       <td>DUPLICATE, DEPENDENCY_ALREADY_EXISTS, MEMBER_OF_OTHER_FLOW, GROUP_SEALED, INSTANCE_REASSIGNED,
 *       ACTIVE_KEY_EXISTS, KEY_ROTATION_CONFLICT</td><td>no</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.StateException}</td><td>see its {@code Kind}; fence failures live
 *       here and are never confused with contention</td><td>no</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.UnavailableException}</td>
 *       <td>TRANSPORT, POOL_EXHAUSTED (retryable); DATABASE_ERROR, SCHEMA_MISMATCH, SHUTTING_DOWN, NO_SIGNING_KEY
 *       (not retryable)</td><td>per kind</td></tr>
 *   <tr><td>{@link io.flowfabric.core.error.TimeoutException}</td><td>operation and elapsed time</td>
 *       <td>no: the outcome of a write may be unknown; idempotent operations may be repeated</td></tr>
 * </table>
 *
 * <p>Driver exceptions that escape an operation's own handling are classified by SQLSTATE in exactly one place, the
 * PostgreSQL backend's mapper:
 * <table>
 *   <caption>SQLSTATE classification</caption>
 *   <tr><th>SQLSTATE</th><th>Mapped to</th></tr>
 *   <tr><td>23505 unique violation</td><td>{@code Conflict(DUPLICATE)}, unless the operation turns it into a domain
 *       result</td></tr>
 *   <tr><td>40001 serialization failure</td><td>{@code Contention(SERIALIZATION_FAILURE)}; the unit of work is
 *       retried</td></tr>
 *   <tr><td>40P01 deadlock</td><td>{@code Contention(DEADLOCK)}; the unit of work is retried</td></tr>
 *   <tr><td>55P03 lock not available</td><td>{@code Contention(LOCK_TIMEOUT)}; the unit of work is retried</td></tr>
 *   <tr><td>57014 query cancelled (statement_timeout)</td><td>{@code Timeout}</td></tr>
 *   <tr><td>08xxx, 53xxx, 57P01–57P03</td><td>{@code Unavailable(TRANSPORT)}</td></tr>
 *   <tr><td>22xxx, 23502, 23514</td><td>{@code Validation(INVALID_INPUT)}</td></tr>
 *   <tr><td>anything else</td><td>{@code Unavailable(DATABASE_ERROR)}</td></tr>
 * </table>
 * When the retries of a unit of work are exhausted the caller gets {@code Contention(RETRY_EXHAUSTED)} with the last
 * cause attached.
 *
 * <p>Messages have the form {@code CATEGORY(KIND): detail}, for example
 * {@code VALIDATION(INVALID_LANE): lane must be 1-64 bytes of printable ASCII}. They may contain ids and limits but
 * never payloads, tokens, secrets or lease ids.
 */
@NullMarked
package io.flowfabric.core.error;

import org.jspecify.annotations.NullMarked;
