package io.flowfabric.postgres.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowfabric.core.error.UnavailableException;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** JSON of tags and attempt end details, as stored in jsonb columns (read back as text). */
public final class JsonText {

    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> TAGS = new TypeReference<>() {
    };

    private JsonText() {
    }

    public static String tags(Map<String, String> tags) {
        try {
            return MAPPER.writeValueAsString(new TreeMap<>(tags));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("tags are plain strings and always serialise", e);
        }
    }

    public static Map<String, String> readTags(@Nullable String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        try {
            return MAPPER.readValue(json, TAGS);
        } catch (JsonProcessingException e) {
            throw new UnavailableException(UnavailableException.Kind.DATABASE_ERROR, "stored tags are not valid JSON", e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ObjectNode readObject(@Nullable String json) {
        if (json == null) {
            return object();
        }
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new UnavailableException(UnavailableException.Kind.DATABASE_ERROR,
                    "stored attempt detail is not a JSON object", e);
        }
    }

    public static String write(ObjectNode node) {
        return node.toString();
    }
}
