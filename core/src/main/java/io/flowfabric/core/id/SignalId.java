package io.flowfabric.core.id;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies a signal delivered to an execution.
 *
 * <p>The text form is the hyphenated UUID in lower case; {@link #parse(String)} accepts any case.
 *
 * @param uuid the UUID
 * @since 0.1
 */
public record SignalId(UUID uuid) {

    /**
     * Creates the id.
     *
     * @param uuid the UUID
     */
    public SignalId {
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * Mints a new id from a random (version 4) UUID.
     *
     * @return a fresh id
     */
    public static SignalId random() {
        return new SignalId(UUID.randomUUID());
    }

    /**
     * Parses the hyphenated UUID text form, in any case.
     *
     * @param text the text
     * @return the id
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_ID} when the text is not a canonical UUID
     */
    public static SignalId parse(String text) {
        return new SignalId(Uuids.parse(text, "signal id"));
    }

    /** @return the hyphenated UUID in lower case */
    @Override
    public String toString() {
        return uuid.toString();
    }
}
