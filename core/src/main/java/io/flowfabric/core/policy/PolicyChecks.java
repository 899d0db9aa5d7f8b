package io.flowfabric.core.policy;

import io.flowfabric.core.error.ValidationException;
import java.time.Duration;
import java.util.Objects;

/** The range checks of spec 02 §3; every failure is {@code INVALID_POLICY} naming the field and the rule. */
final class PolicyChecks {

    static final Duration SEVEN_DAYS = Duration.ofDays(7);

    private PolicyChecks() {
    }

    static int intInRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw invalid(field + " must be " + min + ".." + max);
        }
        return value;
    }

    static double doubleInRange(String field, double value, double min, double max) {
        if (Double.isNaN(value) || value < min || value > max) {
            throw invalid(field + " must be " + min + ".." + max);
        }
        return value;
    }

    /** Durations are stored in whole milliseconds; finer values are rejected rather than truncated. */
    static Duration durationInRange(String field, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, field);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw invalid(field + " must be " + min.toMillis() + ".." + max.toMillis() + " ms");
        }
        if (value.getNano() % 1_000_000 != 0) {
            throw invalid(field + " must be a whole number of milliseconds");
        }
        return value;
    }

    static ValidationException invalid(String detail) {
        return new ValidationException(ValidationException.Kind.INVALID_POLICY, detail);
    }
}
