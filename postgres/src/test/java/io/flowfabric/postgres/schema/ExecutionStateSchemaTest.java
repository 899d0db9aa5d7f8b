package io.flowfabric.postgres.schema;

import static io.flowfabric.postgres.schema.SchemaFixtures.manager;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.state.AttemptState;
import io.flowfabric.core.state.EligibilityState;
import io.flowfabric.core.state.LifecyclePhase;
import io.flowfabric.core.state.OwnershipState;
import io.flowfabric.core.state.PublicStates;
import io.flowfabric.core.state.TerminalOutcome;
import io.flowfabric.testing.FlowFabricPostgres;
import io.flowfabric.testing.PostgresTestException;
import io.flowfabric.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SC-05 on the schema: every state vector of spec 01 §5.2 written through plain SQL derives the public state of the
 * table in 01 §5.3 (and agrees with the Java derivation {@link PublicStates}); vectors and literals outside the
 * model are rejected by CHECK constraints.
 */
@FlowFabricPostgres
class ExecutionStateSchemaTest {

    private static final String INSERT = "INSERT INTO flowfabric.ff_exec_core (partition_key, execution_id, namespace,"
            + " lane_id, execution_kind, input_payload, input_encoding, policy, lifecycle_phase, ownership_state,"
            + " eligibility_state, blocking_reason, attempt_state, terminal_outcome, attempt_count,"
            + " current_attempt_index, lease_epoch, current_lease_id, lease_expires_at_ms, lease_ttl_ms,"
            + " lease_granted_at_ms, created_at_ms, last_mutation_at_ms, delay_until_ms, terminal_at_ms)"
            + " VALUES (42, gen_random_uuid(), 'default', 'lane-a', 'default', '\\x'::bytea, 'binary', '{}'::jsonb,"
            + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid, ?, ?, ?, flowfabric.now_ms(), flowfabric.now_ms(), ?, ?)"
            + " RETURNING public_state";

    private static final String CHECK_VIOLATION = "23514";

    /** The (ownership, attempt_state) pairs a runnable row can have when admission or a flow cancel blocks it. */
    private static final String[][] RUNNABLE_PAIRS = {
            {"unowned", "pending_first_attempt"},
            {"unowned", "pending_retry_attempt"},
            {"unowned", "pending_replay_attempt"},
            {"unowned", "attempt_interrupted"},
            {"lease_expired_reclaimable", "attempt_interrupted"},
            {"lease_revoked", "attempt_interrupted"}};

    @BeforeAll
    static void install(TestDatabase db) {
        manager(db, "flowfabric", 1).migrate();
    }

    /** Spec 01 §5.2, every row expanded over its alternatives, with the public state 01 §5.3 derives for it. */
    static Stream<Arguments> writtenVectors() {
        List<Arguments> vectors = new ArrayList<>();
        vectors.add(vector("ready, never run",
                "runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_first_attempt", "none",
                "waiting"));
        vectors.add(vector("created with a delay",
                "runnable", "unowned", "not_eligible_until_time", "waiting_for_delay", "pending_first_attempt",
                "none", "delayed"));
        for (String attempt : List.of("pending_first_attempt", "pending_replay_attempt")) {
            vectors.add(vector("waiting for dependencies, not started (" + attempt + ")",
                    "runnable", "unowned", "blocked_by_dependencies", "waiting_for_children", attempt, "none",
                    "waiting_children"));
        }
        vectors.add(vector("running",
                "active", "leased", "not_applicable", "none", "running_attempt", "none", "active"));
        vectors.add(vector("retry backoff",
                "runnable", "unowned", "not_eligible_until_time", "waiting_for_retry_backoff",
                "pending_retry_attempt", "none", "delayed"));
        vectors.add(vector("retry ready",
                "runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_retry_attempt", "none",
                "waiting"));
        vectors.add(vector("replay ready",
                "runnable", "unowned", "eligible_now", "waiting_for_worker", "pending_replay_attempt", "none",
                "waiting"));
        vectors.add(vector("worker delayed itself",
                "runnable", "unowned", "not_eligible_until_time", "waiting_for_delay", "attempt_interrupted", "none",
                "delayed"));
        vectors.add(vector("worker waits for children",
                "runnable", "unowned", "blocked_by_dependencies", "waiting_for_children", "attempt_interrupted",
                "none", "waiting_children"));
        for (String reason : List.of("waiting_for_signal", "waiting_for_approval", "waiting_for_callback",
                "waiting_for_tool_result")) {
            vectors.add(vector("suspended (" + reason + ")",
                    "suspended", "unowned", "not_applicable", reason, "attempt_interrupted", "none", "suspended"));
        }
        vectors.add(vector("resumed with a delay",
                "runnable", "unowned", "not_eligible_until_time", "waiting_for_resume_delay", "attempt_interrupted",
                "none", "delayed"));
        vectors.add(vector("paused attempt ready to continue",
                "runnable", "unowned", "eligible_now", "waiting_for_worker", "attempt_interrupted", "none",
                "resumable"));
        vectors.add(vector("lease expired, awaiting reclaim",
                "runnable", "lease_expired_reclaimable", "eligible_now", "waiting_for_worker", "attempt_interrupted",
                "none", "waiting"));
        vectors.add(vector("lease revoked, awaiting reclaim",
                "runnable", "lease_revoked", "eligible_now", "waiting_for_worker", "attempt_interrupted", "none",
                "waiting"));
        for (String[] pair : RUNNABLE_PAIRS) {
            vectors.add(vector("admission denied by a budget (" + pair[0] + ", " + pair[1] + ")",
                    "runnable", pair[0], "blocked_by_budget", "waiting_for_budget", pair[1], "none", "rate_limited"));
            vectors.add(vector("admission denied by a quota (" + pair[0] + ", " + pair[1] + ")",
                    "runnable", pair[0], "blocked_by_quota", "waiting_for_quota", pair[1], "none", "rate_limited"));
            vectors.add(vector("member of a flow being cancelled (" + pair[0] + ", " + pair[1] + ")",
                    "runnable", pair[0], "blocked_by_operator", "paused_by_flow_cancel", pair[1], "none", "waiting"));
        }
        String[][] outcomes = {{"success", "completed"}, {"failed", "failed"}, {"cancelled", "cancelled"},
                {"expired", "expired"}, {"skipped", "skipped"}};
        for (String attempt : List.of("attempt_terminal", "none")) {
            for (String[] outcome : outcomes) {
                vectors.add(vector("terminal " + outcome[0] + " (" + attempt + ")",
                        "terminal", "unowned", "not_applicable", "none", attempt, outcome[0], outcome[1]));
            }
        }
        return vectors.stream();
    }

    @ParameterizedTest(name = "{0} -> {7}")
    @MethodSource("writtenVectors")
    @DisplayName("SC-05: every written vector derives the public state of 01 §5.3, in SQL and in Java")
    void publicStateOfEveryWrittenVector(String situation, String lifecycle, String ownership, String eligibility,
            String blocking, String attempt, String outcome, String expectedPublicState, TestDatabase db) {
        Object stored = insert(db, lifecycle, ownership, eligibility, blocking, attempt, outcome);

        assertThat(stored).as(situation).isEqualTo(expectedPublicState);
        assertThat(PublicStates.derive(LifecyclePhase.fromLiteral(lifecycle), OwnershipState.fromLiteral(ownership),
                EligibilityState.fromLiteral(eligibility), AttemptState.fromLiteral(attempt),
                TerminalOutcome.fromLiteral(outcome)).literal())
                .as("Java derivation of " + situation).isEqualTo(expectedPublicState);
        assertThat(db.queryValue("SELECT flowfabric.ff_public_state(?, ?, ?, ?, ?)",
                lifecycle, ownership, eligibility, attempt, outcome)).contains(expectedPublicState);
    }

    @Test
    @DisplayName("the reserved lifecycle submitted derives waiting (01 §5.3)")
    void submittedDerivesWaiting(TestDatabase db) {
        assertThat(db.queryValue("SELECT flowfabric.ff_public_state('submitted', 'unowned', 'not_applicable', "
                + "'none', 'none')")).contains("waiting");
    }

    @Test
    @DisplayName("public_state is generated: it cannot be written")
    void publicStateCannotBeWritten(TestDatabase db) {
        assertThatThrownBy(() -> db.execute("UPDATE flowfabric.ff_exec_core SET public_state = 'completed'"))
                .isInstanceOfSatisfying(PostgresTestException.class,
                        e -> assertThat(e.sqlState()).isPresent());
    }

    @Test
    @DisplayName("SC-05: a terminal vector with outcome none is rejected by a CHECK constraint")
    void terminalWithoutOutcomeIsRejected(TestDatabase db) {
        assertCheckViolation(() -> insert(db, "terminal", "unowned", "not_applicable", "none", "attempt_terminal",
                "none"), "ff_exec_core_");
    }

    static Stream<Arguments> nonCanonicalVectors() {
        return Stream.of(
                Arguments.of("lifecycle running", "running", "unowned", "eligible_now", "waiting_for_worker",
                        "pending_first_attempt", "none", "ff_exec_core_lifecycle_phase_check"),
                Arguments.of("lifecycle cancelled", "cancelled", "unowned", "not_applicable", "none", "none",
                        "cancelled", "ff_exec_core_lifecycle_phase_check"),
                Arguments.of("ownership released", "runnable", "released", "eligible_now", "waiting_for_worker",
                        "pending_first_attempt", "none", "ff_exec_core_ownership_state_check"),
                Arguments.of("eligibility pending_claim", "runnable", "unowned", "pending_claim",
                        "waiting_for_worker", "pending_first_attempt", "none", "ff_exec_core_eligibility_state_check"),
                Arguments.of("blocking reason pending", "runnable", "unowned", "eligible_now", "pending",
                        "pending_first_attempt", "none", "ff_exec_core_blocking_reason_check"),
                Arguments.of("outcome failure", "terminal", "unowned", "not_applicable", "none", "attempt_terminal",
                        "failure", "ff_exec_core_terminal_outcome_check|ff_exec_core_public_state_check"),
                Arguments.of("attempt state pending", "runnable", "unowned", "eligible_now", "waiting_for_worker",
                        "pending", "none", "ff_exec_core_attempt_state_check"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonCanonicalVectors")
    @DisplayName("SC-05: only canonical literals can be stored")
    void nonCanonicalLiteralsAreRejected(String what, String lifecycle, String ownership, String eligibility,
            String blocking, String attempt, String outcome, String constraint, TestDatabase db) {
        assertCheckViolation(() -> insert(db, lifecycle, ownership, eligibility, blocking, attempt, outcome),
                constraint);
    }

    @Test
    @DisplayName("01 §5.4: active needs a lease, a lease needs active, and a running attempt needs both")
    void leaseInvariants(TestDatabase db) {
        // active + leased but no lease id or expiry
        assertCheckViolation(() -> db.queryValue(rawInsert("'active'", "'leased'", "'not_applicable'", "'none'",
                "'running_attempt'", "'none'", "1", "0", "NULL", "NULL", "NULL", "NULL")),
                "ff_exec_core_active_lease_columns_check");
        // runnable but still carrying a lease id
        assertCheckViolation(() -> db.queryValue(rawInsert("'runnable'", "'unowned'", "'eligible_now'",
                "'waiting_for_worker'", "'pending_retry_attempt'", "'none'", "1", "0", "gen_random_uuid()",
                "flowfabric.now_ms() + 30000", "NULL", "NULL")), "ff_exec_core_active_lease_columns_check");
        // active without ownership leased
        assertCheckViolation(() -> db.queryValue(rawInsert("'active'", "'unowned'", "'not_applicable'", "'none'",
                "'running_attempt'", "'none'", "1", "0", "gen_random_uuid()", "flowfabric.now_ms() + 30000", "NULL",
                "NULL")), "ff_exec_core_active_leased_check");
        // leased with an attempt that is not running
        assertCheckViolation(() -> db.queryValue(rawInsert("'active'", "'leased'", "'not_applicable'", "'none'",
                "'attempt_interrupted'", "'none'", "1", "0", "gen_random_uuid()", "flowfabric.now_ms() + 30000",
                "NULL", "NULL")), "ff_exec_core_active_running_attempt_check");
    }

    @Test
    @DisplayName("01 §5.4: terminal needs terminal_at_ms, a delay needs delay_until_ms, and the attempt index follows the count")
    void otherInvariants(TestDatabase db) {
        assertCheckViolation(() -> db.queryValue(rawInsert("'terminal'", "'unowned'", "'not_applicable'", "'none'",
                "'attempt_terminal'", "'success'", "1", "0", "NULL", "NULL", "NULL", "NULL")),
                "ff_exec_core_terminal_at_check");
        assertCheckViolation(() -> db.queryValue(rawInsert("'runnable'", "'unowned'", "'eligible_now'",
                "'waiting_for_worker'", "'pending_first_attempt'", "'none'", "0", "NULL", "NULL", "NULL", "NULL",
                "flowfabric.now_ms()")), "ff_exec_core_terminal_at_check");
        assertCheckViolation(() -> db.queryValue(rawInsert("'runnable'", "'unowned'", "'not_eligible_until_time'",
                "'waiting_for_delay'", "'pending_first_attempt'", "'none'", "0", "NULL", "NULL", "NULL", "NULL",
                "NULL")), "ff_exec_core_delay_until_check");
        assertCheckViolation(() -> db.queryValue(rawInsert("'runnable'", "'unowned'", "'eligible_now'",
                "'waiting_for_worker'", "'pending_retry_attempt'", "'none'", "2", "0", "NULL", "NULL", "NULL",
                "NULL")), "ff_exec_core_current_attempt_index_check");
        assertCheckViolation(() -> db.queryValue(rawInsert("'runnable'", "'unowned'", "'eligible_now'",
                "'waiting_for_worker'", "'pending_first_attempt'", "'none'", "0", "0", "NULL", "NULL", "NULL",
                "NULL")), "ff_exec_core_current_attempt_index_check");
    }

    static Stream<Arguments> otherLiteralColumns() {
        return Stream.of(
                Arguments.of("ff_attempt.attempt_lifecycle", "INSERT INTO flowfabric.ff_attempt (partition_key, "
                        + "execution_id, attempt_index, attempt_id, attempt_type, attempt_lifecycle, started_at_ms) "
                        + "VALUES (1, gen_random_uuid(), 0, gen_random_uuid(), 'initial', 'running', 1)"),
                Arguments.of("ff_attempt.attempt_type", "INSERT INTO flowfabric.ff_attempt (partition_key, "
                        + "execution_id, attempt_index, attempt_id, attempt_type, attempt_lifecycle, started_at_ms) "
                        + "VALUES (1, gen_random_uuid(), 0, gen_random_uuid(), 'first', 'started', 1)"),
                Arguments.of("ff_attempt.end_reason", "INSERT INTO flowfabric.ff_attempt (partition_key, "
                        + "execution_id, attempt_index, attempt_id, attempt_type, attempt_lifecycle, started_at_ms, "
                        + "ended_at_ms, end_reason) VALUES (1, gen_random_uuid(), 0, gen_random_uuid(), 'initial', "
                        + "'ended_failure', 1, 2, 'failure')"),
                Arguments.of("ff_completion_event.outcome", "INSERT INTO flowfabric.ff_completion_event "
                        + "(partition_key, occurred_at_ms, namespace, execution_id, outcome) "
                        + "VALUES (1, 1, 'default', gen_random_uuid(), 'none')"),
                Arguments.of("ff_lease_event.event_type", "INSERT INTO flowfabric.ff_lease_event (partition_key, "
                        + "occurred_at_ms, namespace, execution_id, attempt_index, lease_epoch, event_type, "
                        + "lease_fingerprint) VALUES (1, 1, 'default', gen_random_uuid(), 0, 1, 'stolen', "
                        + "'0123456789abcdef')"),
                Arguments.of("ff_signal_event.effect", "INSERT INTO flowfabric.ff_signal_event (partition_key, "
                        + "occurred_at_ms, namespace, execution_id, signal_id, signal_name, effect) "
                        + "VALUES (1, 1, 'default', gen_random_uuid(), gen_random_uuid(), 'go', 'ignored')"),
                Arguments.of("ff_operator_event.event_type", "INSERT INTO flowfabric.ff_operator_event "
                        + "(partition_key, occurred_at_ms, subject_kind, subject_id, event_type) "
                        + "VALUES (1, 1, 'execution', 'x', 'execution_deleted')"),
                Arguments.of("ff_operator_event.subject_kind", "INSERT INTO flowfabric.ff_operator_event "
                        + "(partition_key, occurred_at_ms, subject_kind, subject_id, event_type) "
                        + "VALUES (1, 1, 'lane', 'x', 'priority_changed')"),
                Arguments.of("ff_worker_event.event_kind", "INSERT INTO flowfabric.ff_worker_event (partition_key, "
                        + "namespace, worker_instance_id, event_kind, occurred_at_ms) "
                        + "VALUES (1, 'default', 'w-1', 'died', 1)"),
                Arguments.of("ff_waitpoint.state", "INSERT INTO flowfabric.ff_waitpoint (partition_key, "
                        + "waitpoint_id, execution_id, waitpoint_key, state, token_kid, created_at_ms) "
                        + "VALUES (1, gen_random_uuid(), gen_random_uuid(), 'k', 'expired', 'kid', 1)"),
                Arguments.of("ff_signing_key.state", "INSERT INTO flowfabric.ff_signing_key (kid, secret, state, "
                        + "created_at_ms) VALUES ('k1', '\\x00'::bytea, 'revoked', 1)"),
                Arguments.of("partition_key out of range", "INSERT INTO flowfabric.ff_flow_dirty (partition_key, "
                        + "flow_id, marked_at_ms) VALUES (256, gen_random_uuid(), 1)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherLiteralColumns")
    @DisplayName("literal columns of the other tables carry CHECK constraints too")
    void otherLiteralColumnsAreChecked(String column, String sql, TestDatabase db) {
        assertCheckViolation(() -> db.execute(sql), "_check");
    }

    @Test
    @DisplayName("at most one signing key is active")
    void oneActiveSigningKey(TestDatabase db) {
        db.execute("INSERT INTO flowfabric.ff_signing_key (kid, secret, state, created_at_ms) "
                + "VALUES ('active-1', '\\x01'::bytea, 'active', 1)");
        assertThatThrownBy(() -> db.execute("INSERT INTO flowfabric.ff_signing_key (kid, secret, state, "
                + "created_at_ms) VALUES ('active-2', '\\x02'::bytea, 'active', 2)"))
                .isInstanceOfSatisfying(PostgresTestException.class,
                        e -> assertThat(e.sqlState()).contains("23505"));
        db.execute("INSERT INTO flowfabric.ff_signing_key (kid, secret, state, created_at_ms, retired_at_ms, "
                + "expires_at_ms) VALUES ('old', '\\x03'::bytea, 'retired', 0, 1, 2)");
        assertThat(db.queryLong("SELECT count(*) FROM flowfabric.ff_signing_key")).isEqualTo(2);
    }

    private static Arguments vector(String situation, String lifecycle, String ownership, String eligibility,
            String blocking, String attempt, String outcome, String publicState) {
        return Arguments.of(situation, lifecycle, ownership, eligibility, blocking, attempt, outcome, publicState);
    }

    /** Inserts one execution with the vector and the columns its invariants require; returns public_state. */
    private static @Nullable Object insert(TestDatabase db, String lifecycle, String ownership, String eligibility,
            String blocking, String attempt, String outcome) {
        boolean started = !attempt.equals("pending_first_attempt") && !attempt.equals("none");
        boolean active = lifecycle.equals("active");
        boolean delayed = eligibility.equals("not_eligible_until_time") || eligibility.equals("blocked_by_quota");
        long now = System.currentTimeMillis();
        return db.queryValue(INSERT,
                lifecycle, ownership, eligibility, blocking, attempt, outcome,
                started ? 1 : 0,
                started ? 0 : null,
                active ? 3L : 2L,
                active ? "6f1c1a8e-2f0a-4c55-9d7e-0a4a3f8d2c11" : null,
                active ? now + 30_000 : null,
                active ? 30_000L : null,
                active ? now : null,
                delayed ? now + 60_000 : null,
                lifecycle.equals("terminal") ? now : null)
                .orElse(null);
    }

    /** An insert with raw SQL expressions for the state, counter, lease and time columns. */
    private static String rawInsert(String lifecycle, String ownership, String eligibility, String blocking,
            String attempt, String outcome, String attemptCount, String attemptIndex, String leaseId,
            String leaseExpires, String delayUntil, String terminalAt) {
        return "INSERT INTO flowfabric.ff_exec_core (partition_key, execution_id, namespace, lane_id, execution_kind,"
                + " input_payload, input_encoding, policy, lifecycle_phase, ownership_state, eligibility_state,"
                + " blocking_reason, attempt_state, terminal_outcome, attempt_count, current_attempt_index,"
                + " current_lease_id, lease_expires_at_ms, created_at_ms, last_mutation_at_ms, delay_until_ms,"
                + " terminal_at_ms) VALUES (7, gen_random_uuid(), 'default', 'lane-a', 'default', '\\x'::bytea,"
                + " 'binary', '{}', " + String.join(", ", lifecycle, ownership, eligibility, blocking, attempt,
                outcome, attemptCount, attemptIndex, leaseId, leaseExpires)
                + ", flowfabric.now_ms(), flowfabric.now_ms(), " + delayUntil + ", " + terminalAt
                + ") RETURNING public_state";
    }

    /**
     * Asserts a CHECK violation naming one of the constraints (alternatives separated by {@code |}): when a row
     * breaks several constraints, PostgreSQL reports only one of them.
     */
    private static void assertCheckViolation(ThrowingCallable call, String constraintNameParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(PostgresTestException.class, e -> {
            assertThat(e.sqlState()).contains(CHECK_VIOLATION);
            assertThat(constraintNameParts.split("\\|"))
                    .anySatisfy(part -> assertThat(e.getMessage()).contains(part));
        });
    }
}
