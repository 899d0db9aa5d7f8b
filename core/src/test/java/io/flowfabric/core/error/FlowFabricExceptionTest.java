package io.flowfabric.core.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FlowFabricExceptionTest {

    @Test
    @DisplayName("SC-06: retryable() is true only for contention and for transport/pool exhaustion")
    void retryableClassification() {
        for (ContentionException.Kind kind : ContentionException.Kind.values()) {
            assertThat(new ContentionException(kind, "x").retryable()).as(kind.name()).isTrue();
        }
        for (UnavailableException.Kind kind : UnavailableException.Kind.values()) {
            boolean expected = kind == UnavailableException.Kind.TRANSPORT
                    || kind == UnavailableException.Kind.POOL_EXHAUSTED;
            assertThat(new UnavailableException(kind, "x").retryable()).as(kind.name()).isEqualTo(expected);
        }
        for (ValidationException.Kind kind : ValidationException.Kind.values()) {
            assertThat(new ValidationException(kind, "x").retryable()).isFalse();
        }
        for (ConflictException.Kind kind : ConflictException.Kind.values()) {
            assertThat(new ConflictException(kind, "x").retryable()).isFalse();
        }
        for (StateException.Kind kind : StateException.Kind.values()) {
            assertThat(new StateException(kind, "x").retryable()).isFalse();
        }
        for (NotFoundException.Entity entity : NotFoundException.Entity.values()) {
            assertThat(new NotFoundException(entity, "x").retryable()).isFalse();
        }
        assertThat(new TimeoutException("complete", Duration.ofSeconds(30)).retryable()).isFalse();
    }

    @Test
    @DisplayName("SC-06: the cases of the scenario classify as the spec says")
    void scenarioCases() {
        assertThat(new ConflictException(ConflictException.Kind.DUPLICATE, "unique violation").retryable()).isFalse();
        assertThat(new ContentionException(ContentionException.Kind.RETRY_EXHAUSTED, "5 attempts",
                new RuntimeException("40P01")).retryable()).isTrue();
        assertThat(new StateException(StateException.Kind.STALE_LEASE, "fence").retryable()).isFalse();
        assertThat(new UnavailableException(UnavailableException.Kind.TRANSPORT, "refused").retryable()).isTrue();
        assertThat(new TimeoutException("claim", Duration.ofMillis(1500)).retryable()).isFalse();
    }

    @Test
    void messageHasCategoryKindAndDetail() {
        ValidationException e = new ValidationException(ValidationException.Kind.INVALID_LANE,
                "lane must be 1-64 bytes of printable ASCII");
        assertThat(e).hasMessage("VALIDATION(INVALID_LANE): lane must be 1-64 bytes of printable ASCII");
        assertThat(e.detail()).isEqualTo("lane must be 1-64 bytes of printable ASCII");
        assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_LANE);
        assertThat(e.getCause()).isNull();

        assertThat(new NotFoundException(NotFoundException.Entity.QUOTA_POLICY, "q1"))
                .hasMessage("NOT_FOUND(QUOTA_POLICY): q1");
        assertThat(new ContentionException(ContentionException.Kind.DEADLOCK, "d"))
                .hasMessage("CONTENTION(DEADLOCK): d");
        assertThat(new ConflictException(ConflictException.Kind.GROUP_SEALED, "g"))
                .hasMessage("CONFLICT(GROUP_SEALED): g");
        assertThat(new StateException(StateException.Kind.LEASE_REVOKED, "r"))
                .hasMessage("STATE(LEASE_REVOKED): r");
        assertThat(new UnavailableException(UnavailableException.Kind.SCHEMA_MISMATCH, "s"))
                .hasMessage("UNAVAILABLE(SCHEMA_MISMATCH): s");
    }

    @Test
    void causeIsKept() {
        IOException cause = new IOException("connection reset");
        UnavailableException e = new UnavailableException(UnavailableException.Kind.TRANSPORT, "io", cause);
        assertThat(e.getCause()).isSameAs(cause);
        assertThat(new NotFoundException(NotFoundException.Entity.FLOW, "f", cause).getCause()).isSameAs(cause);
        assertThat(new StateException(StateException.Kind.GRANT_EXPIRED, "g", cause).getCause()).isSameAs(cause);
    }

    @Test
    void timeoutCarriesOperationAndElapsed() {
        RuntimeException cause = new RuntimeException("57014");
        TimeoutException e = new TimeoutException("complete", Duration.ofMillis(30_000), cause);
        assertThat(e.operation()).isEqualTo("complete");
        assertThat(e.elapsed()).isEqualTo(Duration.ofSeconds(30));
        assertThat(e.getCause()).isSameAs(cause);
        assertThat(e).hasMessage("TIMEOUT(complete): complete did not finish within 30000 ms");
    }

    @Test
    void stateDetailsAreAnImmutableCopyWithoutNulls() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("lifecycle", "terminal");
        details.put("publicState", "failed");
        details.put("outcome", "failed");
        details.put("attemptIndex", null);
        details.put("leaseEpoch", 2L);
        StateException e = new StateException(StateException.Kind.EXECUTION_NOT_ACTIVE, "not active", details);
        details.put("lifecycle", "changed");

        assertThat(e.details()).containsExactly(
                Map.entry("lifecycle", "terminal"),
                Map.entry("publicState", "failed"),
                Map.entry("outcome", "failed"),
                Map.entry("leaseEpoch", 2L));
        assertThatThrownBy(() -> e.details().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new StateException(StateException.Kind.STALE_LEASE, "x").details()).isEmpty();
    }

    @Test
    @DisplayName("the kinds are exactly those of spec 01 §7")
    void kindsMatchTheSpec() {
        assertThat(names(NotFoundException.Entity.values())).containsExactly("EXECUTION", "FLOW", "EDGE", "ATTEMPT",
                "WAITPOINT", "BUDGET", "QUOTA_POLICY", "WORKER", "SIGNING_KEY");
        assertThat(names(ValidationException.Kind.values())).containsExactly("INVALID_INPUT", "INVALID_ID",
                "PARTITION_MISMATCH", "CORRUPT_HANDLE", "HANDLE_FROM_OTHER_BACKEND", "FENCE_REQUIRED", "INVALID_LANE",
                "INVALID_NAMESPACE", "INVALID_TAG_KEY", "INVALID_CAPABILITY", "INVALID_POLICY", "INVALID_CONDITION",
                "INVALID_JSON", "INVALID_CURSOR", "LIMIT_EXCEEDED", "SELF_EDGE", "CYCLE_DETECTED", "NOT_FLOW_MEMBER",
                "NAMESPACE_MISMATCH", "POLICY_FIXED", "UNKNOWN_WAITPOINT_KEY", "MISSING_TOKEN", "INVALID_TOKEN",
                "TOKEN_EXPIRED", "INVALID_GRANT", "INVALID_KID", "WEAK_SECRET", "BUDGET_NOT_ATTACHED",
                "LANE_MISMATCH");
        assertThat(names(ContentionException.Kind.values())).containsExactly("SERIALIZATION_FAILURE", "DEADLOCK",
                "LOCK_TIMEOUT", "RETRY_EXHAUSTED", "STALE_GRAPH_REVISION");
        assertThat(names(ConflictException.Kind.values())).containsExactly("DUPLICATE", "DEPENDENCY_ALREADY_EXISTS",
                "MEMBER_OF_OTHER_FLOW", "GROUP_SEALED", "INSTANCE_REASSIGNED", "ACTIVE_KEY_EXISTS",
                "KEY_ROTATION_CONFLICT");
        assertThat(names(StateException.Kind.values())).containsExactly("STALE_LEASE", "LEASE_EXPIRED",
                "LEASE_REVOKED", "EXECUTION_NOT_ACTIVE", "ALREADY_TERMINAL", "EXECUTION_NOT_ELIGIBLE",
                "EXECUTION_NOT_SUSPENDED", "EXECUTION_NOT_TERMINAL", "NOT_A_RESUMED_EXECUTION", "FLOW_TERMINAL",
                "STREAM_CLOSED", "WAITPOINT_CLOSED", "WAITPOINT_NOT_PENDING", "GRANT_EXPIRED",
                "GRANT_NOT_REDEEMABLE", "REPLAY_CAP_EXCEEDED", "CURSOR_EXPIRED");
        assertThat(names(UnavailableException.Kind.values())).containsExactly("TRANSPORT", "POOL_EXHAUSTED",
                "DATABASE_ERROR", "SCHEMA_MISMATCH", "SHUTTING_DOWN", "NO_SIGNING_KEY");
    }

    @Test
    void theHierarchyIsOneSealedUncheckedRootWithFinalSubclasses() {
        assertThat(RuntimeException.class).isAssignableFrom(FlowFabricException.class);
        assertThat(FlowFabricException.class.isSealed()).isTrue();
        assertThat(FlowFabricException.class.getPermittedSubclasses()).containsExactlyInAnyOrder(
                NotFoundException.class, ValidationException.class, ContentionException.class,
                ConflictException.class, StateException.class, UnavailableException.class, TimeoutException.class);
        for (Class<?> subclass : FlowFabricException.class.getPermittedSubclasses()) {
            assertThat(java.lang.reflect.Modifier.isFinal(subclass.getModifiers())).as(subclass.getName()).isTrue();
        }
    }

    @Test
    void nullKindOrDetailIsRejected() {
        assertThatThrownBy(() -> new ValidationException(null, "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ValidationException(ValidationException.Kind.INVALID_ID, null))
                .isInstanceOf(NullPointerException.class);
    }

    private static String[] names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toArray(String[]::new);
    }
}
