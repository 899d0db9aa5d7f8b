package io.flowfabric.core.validation;

import java.time.Duration;

/**
 * The limits of spec 09 §2–§5. Sizes are in bytes (UTF-8 for text); every bound is inclusive.
 *
 * @since 0.1
 */
public final class Limits {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    // §2 names and identifiers

    /** Lane: 1–64 bytes. */
    public static final int MAX_LANE_BYTES = 64;
    /** Namespace: 1–128 bytes. */
    public static final int MAX_NAMESPACE_BYTES = 128;
    /** Worker id and worker instance id: 1–128 bytes. */
    public static final int MAX_WORKER_ID_BYTES = 128;
    /** Execution kind and flow kind: 1–128 bytes. */
    public static final int MAX_KIND_BYTES = 128;
    /** Tag key: at most 128 bytes. */
    public static final int MAX_TAG_KEY_BYTES = 128;
    /** Tag value: at most 4 KiB. */
    public static final int MAX_TAG_VALUE_BYTES = 4 * KIB;
    /** Capability token: 1–64 bytes. */
    public static final int MAX_CAPABILITY_BYTES = 64;
    /** Waitpoint key: 1–64 bytes. */
    public static final int MAX_WAITPOINT_KEY_BYTES = 64;
    /** Signal name: 1–128 bytes. */
    public static final int MAX_SIGNAL_NAME_BYTES = 128;
    /** Budget dimension: 1–64 bytes. */
    public static final int MAX_BUDGET_DIMENSION_BYTES = 64;
    /** Signing key id: 1–64 bytes. */
    public static final int MAX_KID_BYTES = 64;
    /** Stream frame type: 1–64 bytes. */
    public static final int MAX_FRAME_TYPE_BYTES = 64;
    /** Encoding label: 1–32 bytes. */
    public static final int MAX_ENCODING_BYTES = 32;
    /** Data-passing ref: 1–64 bytes (or {@code $input}). */
    public static final int MAX_DATA_PASSING_REF_BYTES = 64;
    /** Worker death reason: at most 256 bytes. */
    public static final int MAX_WORKER_DEATH_REASON_BYTES = 256;

    // §3 sizes

    /** Execution input payload: 1 MiB by default. */
    public static final int MAX_INPUT_BYTES = MIB;
    /** Result payload: 1 MiB by default. */
    public static final int MAX_RESULT_BYTES = MIB;
    /** The largest configurable input or result limit: 16 MiB. */
    public static final int MAX_CONFIGURABLE_PAYLOAD_BYTES = 16 * MIB;
    /** Tags per execution or flow. */
    public static final int MAX_TAGS = 64;
    /** Required capabilities per execution: tokens. */
    public static final int MAX_CAPABILITIES = 256;
    /** Required capabilities per execution: bytes in total. */
    public static final int MAX_CAPABILITY_BYTES_TOTAL = 4096;
    /** Worker capabilities in a claim or registration: tokens. */
    public static final int MAX_WORKER_CAPABILITIES = 256;
    /** Budget ids per execution. */
    public static final int MAX_BUDGET_IDS = 8;
    /** Default stream frame payload limit ({@code stream.maxPayloadBytes}). */
    public static final int DEFAULT_STREAM_PAYLOAD_BYTES = 64 * KIB;
    /** The largest stream frame payload limit a policy may set. */
    public static final int MAX_STREAM_PAYLOAD_BYTES = MIB;
    /** Stream summary document after a patch. */
    public static final int MAX_SUMMARY_DOCUMENT_BYTES = MIB;
    /** JSON nesting depth of policies, summary patches and details. */
    public static final int MAX_JSON_DEPTH = 64;
    /** Signal payload: 256 KiB. */
    public static final int MAX_SIGNAL_PAYLOAD_BYTES = 256 * KIB;
    /** Progress message: 1 KiB. */
    public static final int MAX_PROGRESS_MESSAGE_BYTES = KIB;
    /** Failure message: 4 KiB. */
    public static final int MAX_FAILURE_MESSAGE_BYTES = 4 * KIB;
    /** Failure detail: 16 KiB. */
    public static final int MAX_FAILURE_DETAIL_BYTES = 16 * KIB;
    /** Failure category: 64 bytes. */
    public static final int MAX_FAILURE_CATEGORY_BYTES = 64;
    /** Cancel and resume reasons: 1 KiB. */
    public static final int MAX_REASON_BYTES = KIB;
    /** Creator identity, requested by, source identity, correlation id: 256 bytes each. */
    public static final int MAX_IDENTITY_BYTES = 256;
    /** Idempotency, dedup and signal keys: 256 bytes. */
    public static final int MAX_IDEMPOTENCY_KEY_BYTES = 256;
    /** Suspension reason code: 128 bytes. */
    public static final int MAX_SUSPENSION_REASON_CODE_BYTES = 128;
    /** Continuation ref: 1 KiB. */
    public static final int MAX_CONTINUATION_REF_BYTES = KIB;

    // §4 ranges and counts

    /** The lowest priority. */
    public static final int PRIORITY_MIN = 0;
    /** The highest priority; larger values are clamped to it. */
    public static final int PRIORITY_MAX = 9000;
    /** Shortest lease TTL. */
    public static final Duration LEASE_TTL_MIN = Duration.ofSeconds(1);
    /** Longest lease TTL. */
    public static final Duration LEASE_TTL_MAX = Duration.ofHours(1);
    /** Default lease TTL. */
    public static final Duration LEASE_TTL_DEFAULT = Duration.ofSeconds(30);
    /** Longest claim {@code maxWait} (the shortest is zero). */
    public static final Duration CLAIM_MAX_WAIT_MAX = Duration.ofMinutes(5);
    /** Smallest claim batch. */
    public static final int CLAIM_BATCH_MIN = 1;
    /** Largest claim batch. */
    public static final int CLAIM_BATCH_MAX = 100;
    /** Lanes per claim. */
    public static final int MAX_LANES_PER_CLAIM = 16;
    /** Lanes per worker registration. */
    public static final int MAX_LANES_PER_WORKER = 64;
    /** Shortest grant TTL. */
    public static final Duration GRANT_TTL_MIN = Duration.ofSeconds(1);
    /** Longest grant TTL. */
    public static final Duration GRANT_TTL_MAX = Duration.ofMinutes(5);
    /** Default grant TTL. */
    public static final Duration GRANT_TTL_DEFAULT = Duration.ofSeconds(10);
    /** Longest delay at creation. */
    public static final Duration CREATE_DELAY_MAX = Duration.ofDays(365);
    /** Longest delay a worker may request with {@code delay}. */
    public static final Duration WORKER_DELAY_MAX = Duration.ofDays(30);
    /** Furthest deadline ahead (create, replay). */
    public static final Duration DEADLINE_MAX_AHEAD = Duration.ofDays(365);
    /** Furthest suspension timeout ahead. */
    public static final Duration SUSPENSION_TIMEOUT_MAX_AHEAD = Duration.ofDays(365);
    /** Longest resume delay. */
    public static final Duration RESUME_DELAY_MAX = Duration.ofDays(1);
    /** Shortest waitpoint {@code expiresIn}. */
    public static final Duration WAITPOINT_EXPIRES_MIN = Duration.ofSeconds(1);
    /** Longest waitpoint {@code expiresIn}. */
    public static final Duration WAITPOINT_EXPIRES_MAX = Duration.ofDays(30);
    /** Shortest idempotency TTL (create) and signal dedup TTL. */
    public static final Duration IDEMPOTENCY_TTL_MIN = Duration.ofMinutes(1);
    /** Longest idempotency TTL (create) and signal dedup TTL. */
    public static final Duration IDEMPOTENCY_TTL_MAX = Duration.ofDays(30);
    /** Default idempotency TTL (create) and signal dedup TTL. */
    public static final Duration IDEMPOTENCY_TTL_DEFAULT = Duration.ofHours(24);
    /** Members per flow. */
    public static final int MAX_FLOW_MEMBERS = 10_000;
    /** Edges per flow. */
    public static final int MAX_FLOW_EDGES = 10_000;
    /** Edges into one downstream. */
    public static final int MAX_EDGES_INTO_DOWNSTREAM = 1000;
    /** Waitpoint bindings per suspension. */
    public static final int MAX_BINDINGS_PER_SUSPENSION = 32;
    /** Open waitpoints per execution. */
    public static final int MAX_OPEN_WAITPOINTS = 256;
    /** Members of an {@code all_of} condition. */
    public static final int MAX_ALL_OF_MEMBERS = 16;
    /** Depth of a resume condition. */
    public static final int MAX_CONDITION_DEPTH = 4;
    /** The largest {@code maxSignalsPerExecution} a policy may set. */
    public static final int MAX_SIGNALS_PER_EXECUTION = 100_000;
    /** Dimensions per budget. */
    public static final int MAX_BUDGET_DIMENSIONS = 32;
    /** Dimensions per usage report. */
    public static final int MAX_DIMENSIONS_PER_REPORT = 32;
    /** Shortest worker liveness TTL. */
    public static final Duration WORKER_LIVENESS_TTL_MIN = Duration.ofSeconds(5);
    /** Longest worker liveness TTL. */
    public static final Duration WORKER_LIVENESS_TTL_MAX = Duration.ofHours(1);
    /** Default worker liveness TTL. */
    public static final Duration WORKER_LIVENESS_TTL_DEFAULT = Duration.ofSeconds(30);
    /** Longest signing-key grace (the shortest is zero). */
    public static final Duration SIGNING_KEY_GRACE_MAX = Duration.ofDays(90);
    /** Default signing-key grace. */
    public static final Duration SIGNING_KEY_GRACE_DEFAULT = Duration.ofDays(7);
    /** Shortest signing secret. */
    public static final int SECRET_MIN_BYTES = 32;
    /** Longest signing secret. */
    public static final int SECRET_MAX_BYTES = 256;

    // §5 page sizes

    /** Default page of the list operations. */
    public static final int PAGE_DEFAULT = 100;
    /** Largest page of the list operations. */
    public static final int PAGE_MAX = 1000;
    /** Default page of {@code listExpiredLeases}. */
    public static final int EXPIRED_LEASES_PAGE_DEFAULT = 1000;
    /** Largest page of {@code listExpiredLeases}. */
    public static final int EXPIRED_LEASES_PAGE_MAX = 10_000;
    /** Largest {@code readStream} / {@code tailStream} count (the count is required, at least 1). */
    public static final int STREAM_READ_MAX_COUNT = 10_000;
    /** Default subscription batch. */
    public static final int SUBSCRIPTION_BATCH_DEFAULT = 256;
    /** Largest subscription batch. */
    public static final int SUBSCRIPTION_BATCH_MAX = 1000;

    private Limits() {
    }
}
