package io.flowfabric.core.validation;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.error.ValidationException.Kind;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The input rules of spec 09 §2–§5, applied at the public boundary before anything is written.
 *
 * <p>Every check throws {@link ValidationException} with the kind the spec assigns and a detail naming the field and
 * the rule; a rejected value is never echoed (it may be a secret or arbitrary bytes). A {@code null} where a value is
 * required is a violation of the same kind, so that a request assembled with a missing field fails when it is
 * validated, not when it is built. Lengths are UTF-8 bytes; a string with an unpaired surrogate has no UTF-8 form
 * and is rejected with {@code INVALID_INPUT}. Methods return the value they accept so that they can be chained.
 *
 * @since 0.1
 */
public final class InputRules {

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:/-]*");
    private static final Pattern TAG_KEY = Pattern.compile("[a-z][a-z0-9_]*\\.[a-z0-9_][a-z0-9_.]*");
    private static final Pattern WAITPOINT_KEY = Pattern.compile("[A-Za-z0-9_.:-]+");
    private static final Pattern BUDGET_DIMENSION = Pattern.compile("[a-z][a-z0-9_.]{0,63}");
    private static final Pattern KID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern FRAME_TYPE = Pattern.compile("[a-z0-9_.-]+");
    private static final Pattern ENCODING = Pattern.compile("[a-z0-9._+/-]+");
    private static final Pattern DATA_PASSING_REF = Pattern.compile("[A-Za-z0-9_.-]+");

    /** The data-passing ref that names the upstream's whole input. */
    public static final String INPUT_REF = "$input";

    private InputRules() {
    }

    // ---------------------------------------------------------------- names and identifiers (09 §2)

    /**
     * A lane: 1–64 bytes of printable ASCII (0x20–0x7E), no leading or trailing space; case-sensitive.
     *
     * @param lane the lane
     * @return the lane
     * @throws ValidationException {@code INVALID_LANE}
     */
    public static String lane(@Nullable String lane) {
        if (lane == null || lane.isEmpty() || lane.length() > Limits.MAX_LANE_BYTES
                || !allInRange(lane, 0x20, 0x7E) || lane.charAt(0) == ' ' || lane.charAt(lane.length() - 1) == ' ') {
            throw new ValidationException(Kind.INVALID_LANE, "lane must be 1-64 bytes of printable ASCII "
                    + "(0x20-0x7E) without leading or trailing space");
        }
        return lane;
    }

    /**
     * A namespace: 1–128 bytes matching {@code [A-Za-z0-9][A-Za-z0-9_.:/-]*}.
     *
     * @param namespace the namespace
     * @return the namespace
     * @throws ValidationException {@code INVALID_NAMESPACE}
     */
    public static String namespace(@Nullable String namespace) {
        if (namespace == null || namespace.length() > Limits.MAX_NAMESPACE_BYTES
                || !NAMESPACE.matcher(namespace).matches()) {
            throw new ValidationException(Kind.INVALID_NAMESPACE,
                    "namespace must be 1-128 bytes matching [A-Za-z0-9][A-Za-z0-9_.:/-]*");
        }
        return namespace;
    }

    /**
     * A worker id or worker instance id: 1–128 bytes of printable ASCII without space (0x21–0x7E).
     *
     * @param field the field name for the detail, for example {@code workerInstanceId}
     * @param value the value
     * @return the value
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String workerId(String field, @Nullable String value) {
        if (value == null || value.isEmpty() || value.length() > Limits.MAX_WORKER_ID_BYTES
                || !allInRange(value, 0x21, 0x7E)) {
            throw invalidInput(field + " must be 1-128 bytes of printable ASCII without space");
        }
        return value;
    }

    /**
     * An execution kind: 1–128 bytes of printable ASCII (0x20–0x7E).
     *
     * @param kind the execution kind
     * @return the kind
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String executionKind(@Nullable String kind) {
        return printableKind("executionKind", kind);
    }

    /**
     * A flow kind: 1–128 bytes of printable ASCII (0x20–0x7E).
     *
     * @param kind the flow kind
     * @return the kind
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String flowKind(@Nullable String kind) {
        return printableKind("flowKind", kind);
    }

    /**
     * A tag key: {@code ^[a-z][a-z0-9_]*\.[a-z0-9_][a-z0-9_.]*$}, at most 128 bytes. {@code cairn.instance_id} is
     * valid; {@code Upper.case}, {@code nodot} and {@code trailing.} are not.
     *
     * @param key the key
     * @return the key
     * @throws ValidationException {@code INVALID_TAG_KEY}
     */
    public static String tagKey(@Nullable String key) {
        if (key == null || key.length() > Limits.MAX_TAG_KEY_BYTES || !TAG_KEY.matcher(key).matches()) {
            throw new ValidationException(Kind.INVALID_TAG_KEY, "tag key must match "
                    + "^[a-z][a-z0-9_]*\\.[a-z0-9_][a-z0-9_.]*$ and be at most 128 bytes");
        }
        return key;
    }

    /**
     * A tag value: UTF-8, at most 4 KiB.
     *
     * @param value the value
     * @return the value
     * @throws ValidationException {@code LIMIT_EXCEEDED} above 4096 bytes; {@code INVALID_INPUT} for {@code null}
     *                             or text without a UTF-8 form
     */
    public static String tagValue(@Nullable String value) {
        return maxUtf8Bytes("tag value", value, Limits.MAX_TAG_VALUE_BYTES, Kind.LIMIT_EXCEEDED);
    }

    /**
     * A tag map: at most 64 entries, every key and value valid.
     *
     * @param tags the tags
     * @return an immutable copy sorted by key
     * @throws ValidationException {@code LIMIT_EXCEEDED} above 64 entries, else as {@link #tagKey} and
     *                             {@link #tagValue}
     */
    public static Map<String, String> tags(Map<String, String> tags) {
        Objects.requireNonNull(tags, "tags");
        maxCount("tags", tags.size(), Limits.MAX_TAGS);
        Map<String, String> copy = new TreeMap<>();
        tags.forEach((key, value) -> copy.put(tagKey(key), tagValue(value)));
        return Collections.unmodifiableMap(copy);
    }

    /**
     * The required capabilities of an execution: every token 1–64 bytes of printable ASCII excluding comma and
     * space (case-sensitive); at most 256 distinct tokens and 4096 bytes in total.
     *
     * @param capabilities the tokens, duplicates allowed
     * @return the distinct tokens, sorted, immutable
     * @throws ValidationException {@code INVALID_CAPABILITY} for a bad token (checked first); {@code LIMIT_EXCEEDED}
     *                             above 256 tokens or 4096 bytes
     */
    public static List<String> capabilities(Collection<String> capabilities) {
        TreeSet<String> tokens = capabilityTokens(capabilities);
        maxCount("required capabilities", tokens.size(), Limits.MAX_CAPABILITIES);
        int total = 0;
        for (String token : tokens) {
            total += token.length();
        }
        if (total > Limits.MAX_CAPABILITY_BYTES_TOTAL) {
            throw new ValidationException(Kind.LIMIT_EXCEEDED, "required capabilities exceed the limit of "
                    + Limits.MAX_CAPABILITY_BYTES_TOTAL + " bytes in total");
        }
        return List.copyOf(tokens);
    }

    /**
     * The capabilities a worker offers in a claim or registration: the token rule of {@link #capabilities}, at most
     * 256 distinct tokens, no total size limit.
     *
     * @param capabilities the tokens, duplicates allowed
     * @return the distinct tokens, sorted, immutable
     * @throws ValidationException {@code INVALID_CAPABILITY} for a bad token; {@code LIMIT_EXCEEDED} above 256
     */
    public static List<String> workerCapabilities(Collection<String> capabilities) {
        TreeSet<String> tokens = capabilityTokens(capabilities);
        maxCount("worker capabilities", tokens.size(), Limits.MAX_WORKER_CAPABILITIES);
        return List.copyOf(tokens);
    }

    /**
     * A payload encoding label: 1–32 bytes matching {@code [a-z0-9._+/-]+}.
     *
     * @param encoding the label
     * @return the label
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String encoding(@Nullable String encoding) {
        if (encoding == null || encoding.length() > Limits.MAX_ENCODING_BYTES
                || !ENCODING.matcher(encoding).matches()) {
            throw invalidInput("encoding must be 1-32 bytes matching [a-z0-9._+/-]+");
        }
        return encoding;
    }

    /**
     * A waitpoint key: 1–64 bytes matching {@code [A-Za-z0-9_.:-]+}.
     *
     * @param key the key
     * @return the key
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String waitpointKey(@Nullable String key) {
        if (key == null || key.length() > Limits.MAX_WAITPOINT_KEY_BYTES || !WAITPOINT_KEY.matcher(key).matches()) {
            throw invalidInput("waitpoint key must be 1-64 bytes matching [A-Za-z0-9_.:-]+");
        }
        return key;
    }

    /**
     * A signal name: 1–128 bytes matching {@code [A-Za-z0-9_.:-]+}.
     *
     * @param name the name
     * @return the name
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String signalName(@Nullable String name) {
        if (name == null || name.length() > Limits.MAX_SIGNAL_NAME_BYTES || !WAITPOINT_KEY.matcher(name).matches()) {
            throw invalidInput("signal name must be 1-128 bytes matching [A-Za-z0-9_.:-]+");
        }
        return name;
    }

    /**
     * A budget dimension: {@code [a-z][a-z0-9_.]{0,63}}.
     *
     * @param dimension the dimension
     * @return the dimension
     * @throws ValidationException {@code INVALID_POLICY}
     */
    public static String budgetDimension(@Nullable String dimension) {
        if (dimension == null || !BUDGET_DIMENSION.matcher(dimension).matches()) {
            throw new ValidationException(Kind.INVALID_POLICY,
                    "budget dimension must match [a-z][a-z0-9_.]{0,63}");
        }
        return dimension;
    }

    /**
     * A signing key id: {@code ^[A-Za-z0-9_.-]{1,64}$}.
     *
     * @param kid the key id
     * @return the key id
     * @throws ValidationException {@code INVALID_KID}
     */
    public static String kid(@Nullable String kid) {
        if (kid == null || !KID.matcher(kid).matches()) {
            throw new ValidationException(Kind.INVALID_KID, "signing key id must match ^[A-Za-z0-9_.-]{1,64}$");
        }
        return kid;
    }

    /**
     * A stream frame type: 1–64 bytes matching {@code [a-z0-9_.-]+}.
     *
     * @param frameType the frame type
     * @return the frame type
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String frameType(@Nullable String frameType) {
        if (frameType == null || frameType.length() > Limits.MAX_FRAME_TYPE_BYTES
                || !FRAME_TYPE.matcher(frameType).matches()) {
            throw invalidInput("frame type must be 1-64 bytes matching [a-z0-9_.-]+");
        }
        return frameType;
    }

    /**
     * A data-passing ref: 1–64 bytes matching {@code [A-Za-z0-9_.-]+}, or {@value #INPUT_REF}.
     *
     * @param ref the ref
     * @return the ref
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String dataPassingRef(@Nullable String ref) {
        if (INPUT_REF.equals(ref)) {
            return INPUT_REF;
        }
        if (ref == null || ref.length() > Limits.MAX_DATA_PASSING_REF_BYTES
                || !DATA_PASSING_REF.matcher(ref).matches()) {
            throw invalidInput("data-passing ref must be 1-64 bytes matching [A-Za-z0-9_.-]+, or $input");
        }
        return ref;
    }

    /**
     * A worker death reason: at most 256 bytes, no control characters.
     *
     * @param reason the reason
     * @return the reason
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static String workerDeathReason(@Nullable String reason) {
        maxUtf8Bytes("worker death reason", reason, Limits.MAX_WORKER_DEATH_REASON_BYTES, Kind.INVALID_INPUT);
        return noControlChars("worker death reason", reason, Kind.INVALID_INPUT);
    }

    // ---------------------------------------------------------------- sizes (09 §3)

    /**
     * A byte payload of at most {@code limit} bytes.
     *
     * @param field the field name for the detail
     * @param value the payload
     * @param limit the largest accepted length
     * @return the payload
     * @throws ValidationException {@code LIMIT_EXCEEDED} naming the limit; {@code INVALID_INPUT} for {@code null}
     */
    public static byte[] maxBytes(String field, byte @Nullable [] value, int limit) {
        if (value == null) {
            throw invalidInput(field + " is required");
        }
        maxBytes(field, value.length, limit);
        return value;
    }

    /**
     * A length of at most {@code limit} bytes.
     *
     * @param field  the field name for the detail
     * @param length the length in bytes
     * @param limit  the largest accepted length
     * @return the length
     * @throws ValidationException {@code LIMIT_EXCEEDED} naming the limit
     */
    public static int maxBytes(String field, int length, int limit) {
        if (length > limit) {
            throw new ValidationException(Kind.LIMIT_EXCEEDED,
                    field + " exceeds the limit of " + limit + " bytes");
        }
        return length;
    }

    /**
     * Text of at most {@code limit} UTF-8 bytes; {@code LIMIT_EXCEEDED} above it.
     *
     * @param field the field name for the detail
     * @param value the text
     * @param limit the largest accepted UTF-8 length
     * @return the text
     * @throws ValidationException {@code LIMIT_EXCEEDED} naming the limit; {@code INVALID_INPUT} for {@code null} or
     *                             text without a UTF-8 form
     */
    public static String maxUtf8Bytes(String field, @Nullable String value, int limit) {
        return maxUtf8Bytes(field, value, limit, Kind.LIMIT_EXCEEDED);
    }

    /**
     * Text of at most {@code limit} UTF-8 bytes, with the kind the spec assigns to the field.
     *
     * @param field the field name for the detail
     * @param value the text
     * @param limit the largest accepted UTF-8 length
     * @param kind  the kind for a value above the limit (and for {@code null})
     * @return the text
     * @throws ValidationException {@code kind} above the limit or for {@code null}; {@code INVALID_INPUT} for text
     *                             without a UTF-8 form
     */
    public static String maxUtf8Bytes(String field, @Nullable String value, int limit, Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (value == null) {
            throw new ValidationException(kind == Kind.LIMIT_EXCEEDED ? Kind.INVALID_INPUT : kind,
                    field + " is required");
        }
        long bytes = utf8Length(field, value);
        if (bytes > limit) {
            throw new ValidationException(kind, field + " exceeds the limit of " + limit + " bytes (UTF-8)");
        }
        return value;
    }

    /**
     * Text without control characters (U+0000–U+001F, U+007F–U+009F).
     *
     * @param field the field name for the detail
     * @param value the text
     * @param kind  the kind of the violation
     * @return the text
     * @throws ValidationException {@code kind}
     */
    public static String noControlChars(String field, @Nullable String value, Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (value == null) {
            throw new ValidationException(kind, field + " is required");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new ValidationException(kind, field + " must not contain control characters");
            }
        }
        return value;
    }

    // ---------------------------------------------------------------- ranges and counts (09 §4, §5)

    /**
     * A count of at most {@code limit} items.
     *
     * @param field the field name for the detail
     * @param count the number of items
     * @param limit the largest accepted count
     * @return the count
     * @throws ValidationException {@code LIMIT_EXCEEDED} naming the limit
     */
    public static int maxCount(String field, int count, int limit) {
        if (count > limit) {
            throw new ValidationException(Kind.LIMIT_EXCEEDED, field + " exceeds the limit of " + limit + " items");
        }
        return count;
    }

    /**
     * A duration within {@code [min, max]}.
     *
     * @param field the field name for the detail
     * @param value the duration
     * @param min   the shortest accepted duration
     * @param max   the longest accepted duration
     * @param kind  the kind of the violation
     * @return the duration
     * @throws ValidationException {@code kind} outside the range or for {@code null}
     */
    public static Duration durationInRange(String field, @Nullable Duration value, Duration min, Duration max,
            Kind kind) {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        Objects.requireNonNull(kind, "kind");
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ValidationException(kind, field + " must be between " + describe(min) + " and "
                    + describe(max));
        }
        return value;
    }

    /**
     * A lease TTL: 1 s..1 h.
     *
     * @param leaseTtl the TTL
     * @return the TTL
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static Duration leaseTtl(@Nullable Duration leaseTtl) {
        return durationInRange("leaseTtl", leaseTtl, Limits.LEASE_TTL_MIN, Limits.LEASE_TTL_MAX, Kind.INVALID_INPUT);
    }

    /**
     * A claim {@code maxWait}: 0..5 min.
     *
     * @param maxWait the wait
     * @return the wait
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static Duration claimMaxWait(@Nullable Duration maxWait) {
        return durationInRange("maxWait", maxWait, Duration.ZERO, Limits.CLAIM_MAX_WAIT_MAX, Kind.INVALID_INPUT);
    }

    /**
     * A claim batch size: 1..100.
     *
     * @param batchSize the batch size
     * @return the batch size
     * @throws ValidationException {@code INVALID_INPUT}
     */
    public static int claimBatchSize(int batchSize) {
        if (batchSize < Limits.CLAIM_BATCH_MIN || batchSize > Limits.CLAIM_BATCH_MAX) {
            throw invalidInput("batchSize must be 1..100");
        }
        return batchSize;
    }

    /**
     * A page limit of a list operation: 0 (an empty page) up to {@code max}.
     *
     * @param limit the requested limit
     * @param max   the operation's maximum
     * @return the limit
     * @throws ValidationException {@code LIMIT_EXCEEDED} above {@code max}; {@code INVALID_INPUT} below 0
     */
    public static int pageLimit(int limit, int max) {
        if (limit < 0) {
            throw invalidInput("limit must be >= 0");
        }
        if (limit > max) {
            throw new ValidationException(Kind.LIMIT_EXCEEDED, "limit exceeds the maximum page size of " + max);
        }
        return limit;
    }

    /**
     * Clamps a priority to [0, 9000]; the only silent adjustment of an input.
     *
     * @param priority the requested priority
     * @return the clamped priority
     */
    public static int clampPriority(int priority) {
        return Math.max(Limits.PRIORITY_MIN, Math.min(Limits.PRIORITY_MAX, priority));
    }

    // ---------------------------------------------------------------- helpers

    private static String printableKind(String field, @Nullable String kind) {
        if (kind == null || kind.isEmpty() || kind.length() > Limits.MAX_KIND_BYTES || !allInRange(kind, 0x20, 0x7E)) {
            throw invalidInput(field + " must be 1-128 bytes of printable ASCII");
        }
        return kind;
    }

    private static TreeSet<String> capabilityTokens(Collection<String> capabilities) {
        Objects.requireNonNull(capabilities, "capabilities");
        TreeSet<String> tokens = new TreeSet<>();
        for (String token : capabilities) {
            if (token == null || token.isEmpty() || token.length() > Limits.MAX_CAPABILITY_BYTES
                    || !allInRange(token, 0x21, 0x7E) || token.indexOf(',') >= 0) {
                throw new ValidationException(Kind.INVALID_CAPABILITY, "capability tokens must be 1-64 bytes of "
                        + "printable ASCII excluding comma and space");
            }
            tokens.add(token);
        }
        return tokens;
    }

    /** ASCII-only check; for ASCII text the UTF-16 length is the UTF-8 length. */
    private static boolean allInRange(String value, int lowest, int highest) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < lowest || c > highest) {
                return false;
            }
        }
        return true;
    }

    /** The UTF-8 length without encoding; an unpaired surrogate has no UTF-8 form and is rejected. */
    private static long utf8Length(String field, String value) {
        long bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    throw invalidInput(field + " is not valid Unicode (unpaired surrogate)");
                }
            } else if (Character.isLowSurrogate(c)) {
                throw invalidInput(field + " is not valid Unicode (unpaired surrogate)");
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static String describe(Duration duration) {
        return duration.toMillis() + " ms";
    }

    private static ValidationException invalidInput(String detail) {
        return new ValidationException(Kind.INVALID_INPUT, detail);
    }
}
