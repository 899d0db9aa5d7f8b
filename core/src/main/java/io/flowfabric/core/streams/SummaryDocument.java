package io.flowfabric.core.streams;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A stream's summary document (spec 05 §4): the result of every summary patch applied so far.
 *
 * @param document       the document; {@link #document()} returns a copy, so the value stays immutable
 * @param version        1 after the first patch, plus 1 per patch
 * @param patchKind      how patches are applied; always {@code json-merge-patch}
 * @param firstAppliedAt when the first patch was applied
 * @param lastUpdatedAt  when the latest patch was applied
 * @since 0.1
 */
public record SummaryDocument(JsonNode document, long version, String patchKind, Instant firstAppliedAt,
                              Instant lastUpdatedAt) {

    /** The only patch kind. */
    public static final String JSON_MERGE_PATCH = "json-merge-patch";

    public SummaryDocument {
        document = Objects.requireNonNull(document, "document").deepCopy();
        Objects.requireNonNull(patchKind, "patchKind");
        Objects.requireNonNull(firstAppliedAt, "firstAppliedAt");
        Objects.requireNonNull(lastUpdatedAt, "lastUpdatedAt");
    }

    /** @return a copy of the document */
    @Override
    public JsonNode document() {
        return document.deepCopy();
    }

    /** @return the document as compact JSON text */
    public String json() {
        return JsonMergePatch.write(document);
    }
}
