package io.flowfabric.core.policy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The normalised JSON form of {@link ExecutionPolicy}. Written from a tree so that the field order is fixed by this
 * class, not by reflection; read from a tree so that every field is type-checked and unknown fields are rejected.
 */
final class PolicyJson {

    /** Spec 09 §3: JSON nesting depth of a policy is at most 64. */
    private static final int MAX_DEPTH = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Set<String> ROOT_FIELDS = Set.of("retry", "attemptTimeoutMs", "maxReclaimCount",
            "maxReplayCount", "maxSignalsPerExecution", "stream");
    private static final Set<String> RETRY_FIELDS = Set.of("maxRetries", "backoff", "retryOn");
    private static final Set<String> FIXED_FIELDS = Set.of("kind", "delayMs", "jitter");
    private static final Set<String> EXPONENTIAL_FIELDS = Set.of("kind", "initialMs", "multiplier", "maxMs", "jitter");
    private static final Set<String> STREAM_FIELDS = Set.of("maxPayloadBytes", "maxFramesPerAttempt");

    private PolicyJson() {
    }

    static String write(ExecutionPolicy policy) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode retry = root.putObject("retry");
        retry.put("maxRetries", policy.retry().maxRetries());
        writeBackoff(retry.putObject("backoff"), policy.retry().backoff());
        ArrayNode retryOn = retry.putArray("retryOn");
        policy.retry().retryOn().stream().map(Enum::name).sorted().forEach(retryOn::add);
        if (policy.attemptTimeout() == null) {
            root.putNull("attemptTimeoutMs");
        } else {
            root.put("attemptTimeoutMs", policy.attemptTimeout().toMillis());
        }
        root.put("maxReclaimCount", policy.maxReclaimCount());
        root.put("maxReplayCount", policy.maxReplayCount());
        root.put("maxSignalsPerExecution", policy.maxSignalsPerExecution());
        ObjectNode stream = root.putObject("stream");
        stream.put("maxPayloadBytes", policy.streamMaxPayloadBytes());
        stream.put("maxFramesPerAttempt", policy.streamMaxFramesPerAttempt());
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JacksonException e) {
            // A tree of strings and numbers always serialises.
            throw new IllegalStateException("cannot serialise a policy tree", e);
        }
    }

    private static void writeBackoff(ObjectNode node, Backoff backoff) {
        if (backoff instanceof Backoff.Fixed) {
            Backoff.Fixed fixed = (Backoff.Fixed) backoff;
            node.put("kind", "fixed");
            node.put("delayMs", fixed.delay().toMillis());
            node.put("jitter", fixed.jitter());
        } else {
            Backoff.Exponential exponential = (Backoff.Exponential) backoff;
            node.put("kind", "exponential");
            node.put("initialMs", exponential.initial().toMillis());
            node.put("multiplier", exponential.multiplier());
            node.put("maxMs", exponential.max().toMillis());
            node.put("jitter", exponential.jitter());
        }
    }

    static ExecutionPolicy read(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw PolicyChecks.invalid("policy is not valid JSON (or nests deeper than " + MAX_DEPTH + " levels)");
        }
        if (root == null || !root.isObject()) {
            throw PolicyChecks.invalid("policy must be a JSON object");
        }
        checkFields(root, ROOT_FIELDS, "policy");
        ExecutionPolicy defaults = ExecutionPolicy.defaults();
        JsonNode retryNode = present(root, "retry");
        RetryPolicy retry = retryNode == null ? RetryPolicy.none() : readRetry(object(retryNode, "retry"));
        JsonNode timeoutNode = present(root, "attemptTimeoutMs");
        Duration attemptTimeout = timeoutNode == null ? null
                : Duration.ofMillis(longValue(timeoutNode, "attemptTimeoutMs"));
        JsonNode streamNode = present(root, "stream");
        int maxPayload = defaults.streamMaxPayloadBytes();
        int maxFrames = defaults.streamMaxFramesPerAttempt();
        if (streamNode != null) {
            object(streamNode, "stream");
            checkFields(streamNode, STREAM_FIELDS, "stream");
            maxPayload = intField(streamNode, "maxPayloadBytes", "stream.maxPayloadBytes", maxPayload);
            maxFrames = intField(streamNode, "maxFramesPerAttempt", "stream.maxFramesPerAttempt", maxFrames);
        }
        return new ExecutionPolicy(retry, attemptTimeout,
                intField(root, "maxReclaimCount", "maxReclaimCount", defaults.maxReclaimCount()),
                intField(root, "maxReplayCount", "maxReplayCount", defaults.maxReplayCount()),
                intField(root, "maxSignalsPerExecution", "maxSignalsPerExecution",
                        defaults.maxSignalsPerExecution()),
                maxPayload, maxFrames);
    }

    private static RetryPolicy readRetry(JsonNode node) {
        checkFields(node, RETRY_FIELDS, "retry");
        int maxRetries = intField(node, "maxRetries", "retry.maxRetries", RetryPolicy.DEFAULT_MAX_RETRIES);
        JsonNode backoffNode = present(node, "backoff");
        Backoff backoff = backoffNode == null ? Backoff.defaults() : readBackoff(object(backoffNode, "retry.backoff"));
        JsonNode retryOnNode = present(node, "retryOn");
        RetryPolicy.Builder builder = RetryPolicy.builder().maxRetries(maxRetries).backoff(backoff);
        if (retryOnNode != null) {
            if (!retryOnNode.isArray()) {
                throw PolicyChecks.invalid("retry.retryOn must be an array of failure classes");
            }
            EnumSet<FailureClass> classes = EnumSet.noneOf(FailureClass.class);
            for (JsonNode element : retryOnNode) {
                classes.add(failureClass(element));
            }
            builder.retryOn(classes);
        }
        return builder.build();
    }

    private static FailureClass failureClass(JsonNode element) {
        if (element.isTextual()) {
            for (FailureClass cls : FailureClass.values()) {
                if (cls.name().equals(element.textValue())) {
                    return cls;
                }
            }
        }
        throw PolicyChecks.invalid("retry.retryOn elements must be one of TRANSIENT, INFRA_CRASH, TIMEOUT, "
                + "PERMANENT, CANCELLED");
    }

    private static Backoff readBackoff(JsonNode node) {
        JsonNode kindNode = node.get("kind");
        String kind = kindNode != null && kindNode.isTextual() ? kindNode.textValue() : "";
        Backoff.Exponential defaults = Backoff.defaults();
        switch (kind) {
            case "fixed": {
                checkFields(node, FIXED_FIELDS, "retry.backoff");
                JsonNode delayNode = present(node, "delayMs");
                if (delayNode == null) {
                    throw PolicyChecks.invalid("retry.backoff.delayMs is required for a fixed backoff");
                }
                return new Backoff.Fixed(Duration.ofMillis(longValue(delayNode, "retry.backoff.delayMs")),
                        jitter(node));
            }
            case "exponential":
                checkFields(node, EXPONENTIAL_FIELDS, "retry.backoff");
                return new Backoff.Exponential(
                        Duration.ofMillis(longField(node, "initialMs", "retry.backoff.initialMs",
                                defaults.initial().toMillis())),
                        doubleField(node, "multiplier", "retry.backoff.multiplier", defaults.multiplier()),
                        Duration.ofMillis(longField(node, "maxMs", "retry.backoff.maxMs", defaults.max().toMillis())),
                        jitter(node));
            default:
                throw PolicyChecks.invalid("retry.backoff.kind must be \"fixed\" or \"exponential\"");
        }
    }

    private static double jitter(JsonNode node) {
        return doubleField(node, "jitter", "retry.backoff.jitter", 0.0);
    }

    private static void checkFields(JsonNode node, Set<String> allowed, String where) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw PolicyChecks.invalid(where + " has an unknown field; allowed: " + String.join(", ",
                        allowed.stream().sorted().toList()));
            }
        }
    }

    private static JsonNode object(JsonNode node, String field) {
        if (!node.isObject()) {
            throw PolicyChecks.invalid(field + " must be a JSON object");
        }
        return node;
    }

    /** The field's node, or {@code null} when it is absent or JSON {@code null} (both mean "use the default"). */
    private static @Nullable JsonNode present(JsonNode parent, String name) {
        JsonNode node = parent.get(name);
        return node == null || node.isNull() ? null : node;
    }

    private static int intField(JsonNode parent, String name, String field, int defaultValue) {
        JsonNode node = present(parent, name);
        if (node == null) {
            return defaultValue;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw PolicyChecks.invalid(field + " must be an integer");
        }
        return node.intValue();
    }

    private static long longField(JsonNode parent, String name, String field, long defaultValue) {
        JsonNode node = present(parent, name);
        return node == null ? defaultValue : longValue(node, field);
    }

    private static long longValue(JsonNode node, String field) {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw PolicyChecks.invalid(field + " must be an integer number of milliseconds");
        }
        return node.longValue();
    }

    private static double doubleField(JsonNode parent, String name, String field, double defaultValue) {
        JsonNode node = present(parent, name);
        if (node == null) {
            return defaultValue;
        }
        if (!node.isNumber()) {
            throw PolicyChecks.invalid(field + " must be a number");
        }
        return node.doubleValue();
    }
}
