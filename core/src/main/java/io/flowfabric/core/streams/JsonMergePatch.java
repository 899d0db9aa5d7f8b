package io.flowfabric.core.streams;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.validation.Limits;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * JSON Merge Patch (RFC 7396) as the stream summary applies it (spec 05 §4), with one addition: the string
 * {@value #NULL_SENTINEL} sets a value to JSON {@code null} (a plain {@code null} in an object patch removes the key).
 *
 * <ul>
 *   <li>An object patch is applied member by member to the target (a non-object target is first replaced by
 *       {@code {}}): {@code null} removes the key, an object merges recursively, any other value replaces the key's
 *       value.</li>
 *   <li>A non-object patch replaces the whole document.</li>
 *   <li>Wherever a value is written into the result, every {@value #NULL_SENTINEL} string inside it (at any depth,
 *       arrays included) becomes {@code null}.</li>
 * </ul>
 *
 * <p>Pure and thread-safe; inputs are never modified. Numbers keep their exact decimal form.
 *
 * @since 0.1
 */
public final class JsonMergePatch {

    /** The string that sets a value to JSON {@code null}. */
    public static final String NULL_SENTINEL = "__ff_null__";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Limits.MAX_JSON_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    private JsonMergePatch() {
    }

    /**
     * Parses a patch or document: strict UTF-8, one JSON value, no duplicate keys, nested at most
     * {@value Limits#MAX_JSON_DEPTH} levels.
     *
     * @param utf8 the bytes
     * @return the value
     * @throws ValidationException {@code INVALID_JSON} for anything else
     */
    public static JsonNode parse(byte[] utf8) {
        Objects.requireNonNull(utf8, "utf8");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ValidationException(ValidationException.Kind.INVALID_JSON, "summary patch is not UTF-8");
        }
        return parse(text);
    }

    /**
     * Parses JSON text with the rules of {@link #parse(byte[])}.
     *
     * @param json the text
     * @return the value
     * @throws ValidationException {@code INVALID_JSON} when it is not one JSON value within the rules
     */
    public static JsonNode parse(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new ValidationException(ValidationException.Kind.INVALID_JSON, "summary patch is not valid JSON "
                    + "(one value, no duplicate keys, nested at most " + Limits.MAX_JSON_DEPTH + " levels)");
        }
        if (node == null || node.isMissingNode()) {
            throw new ValidationException(ValidationException.Kind.INVALID_JSON, "summary patch is empty");
        }
        return node;
    }

    /**
     * Applies {@code patch} to {@code target}.
     *
     * @param target the current document; {@code null} when there is none yet (treated as absent)
     * @param patch  the patch
     * @return a new document
     */
    public static JsonNode apply(@Nullable JsonNode target, JsonNode patch) {
        Objects.requireNonNull(patch, "patch");
        if (!patch.isObject()) {
            return resolveSentinels(patch);
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : NODES.objectNode();
        mergeInto(result, (ObjectNode) patch);
        return result;
    }

    private static void mergeInto(ObjectNode result, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> member : patch.properties()) {
            String key = member.getKey();
            JsonNode value = member.getValue();
            if (value.isNull()) {
                result.remove(key);
            } else if (value.isObject()) {
                JsonNode existing = result.get(key);
                ObjectNode merged = existing != null && existing.isObject() ? (ObjectNode) existing
                        : NODES.objectNode();
                mergeInto(merged, (ObjectNode) value);
                result.set(key, merged);
            } else {
                result.set(key, resolveSentinels(value));
            }
        }
    }

    /** A copy of {@code node} with every sentinel string replaced by {@code null}. */
    private static JsonNode resolveSentinels(JsonNode node) {
        if (node.isTextual()) {
            return NULL_SENTINEL.equals(node.textValue()) ? NullNode.getInstance() : node;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode(node.size());
            node.forEach(element -> copy.add(resolveSentinels(element)));
            return copy;
        }
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.properties().forEach(e -> copy.set(e.getKey(), resolveSentinels(e.getValue())));
            return copy;
        }
        return node;
    }

    /**
     * The compact JSON text of a value.
     *
     * @param node the value
     * @return the text
     */
    public static String write(JsonNode node) {
        Objects.requireNonNull(node, "node");
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JacksonException e) {
            // A tree parsed from JSON always serialises.
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }
}
