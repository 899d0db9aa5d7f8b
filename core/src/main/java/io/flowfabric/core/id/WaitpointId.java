package io.flowfabric.core.id;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies a waitpoint of a suspended (or suspending) execution.
 *
 * <p>The text form is the hyphenated UUID in lower case; {@link #parse(String)} accepts any case.
 *
 * @param uuid the UUID
 * @since 0.1
 */
public record WaitpointId(UUID uuid) {

    /**
     * Creates the id.
     *
     * @param uuid the UUID
     */
    public WaitpointId {
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * Mints a new id from a random (version 4) UUID.
     *
     * @return a fresh id
     */
    public static WaitpointId random() {
        return new WaitpointId(UUID.randomUUID());
    }

    /**
     * Parses the hyphenated UUID text form, in any case.
     *
     * @param text the text
     * @return the id
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_ID} when the text is not a canonical UUID
     */
    public static WaitpointId parse(String text) {
        return new WaitpointId(Uuids.parse(text, "waitpoint id"));
    }

    /** @return the hyphenated UUID in lower case */
    @Override
    public String toString() {
        return uuid.toString();
    }
}
