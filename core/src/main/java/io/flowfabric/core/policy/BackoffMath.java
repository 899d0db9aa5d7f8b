package io.flowfabric.core.policy;

import java.time.Duration;

/** Shared arithmetic of the backoff variants. */
final class BackoffMath {

    private BackoffMath() {
    }

    static void checkArguments(int retryNumber, double uniform01) {
        if (retryNumber < 0) {
            throw new IllegalArgumentException("retryNumber must be >= 0");
        }
        if (!(uniform01 >= 0.0 && uniform01 <= 1.0)) {
            throw new IllegalArgumentException("uniform01 must be in [0, 1]");
        }
    }

    /** {@code baseMs × (1 − jitter × u)}, rounded; exact when the jitter is zero. */
    static Duration jittered(long baseMs, double jitter, double uniform01) {
        if (jitter == 0.0 || baseMs == 0) {
            return Duration.ofMillis(baseMs);
        }
        return Duration.ofMillis(Math.round(baseMs * (1.0 - jitter * uniform01)));
    }
}
