package io.flowfabric.core.id;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies a quota policy; the policy and its child rows live in the partition of this UUID.
 *
 * <p>The text form is the hyphenated UUID in lower case; {@link #parse(String)} accepts any case.
 *
 * @param uuid the UUID
 * @since 0.1
 */
public record QuotaPolicyId(UUID uuid) {

    /**
     * Creates the id.
     *
     * @param uuid the UUID
     */
    public QuotaPolicyId {
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * Mints a new id from a random (version 4) UUID.
     *
     * @return a fresh id
     */
    public static QuotaPolicyId random() {
        return new QuotaPolicyId(UUID.randomUUID());
    }

    /**
     * Parses the hyphenated UUID text form, in any case.
     *
     * @param text the text
     * @return the id
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_ID} when the text is not a canonical UUID
     */
    public static QuotaPolicyId parse(String text) {
        return new QuotaPolicyId(Uuids.parse(text, "quota policy id"));
    }

    /**
     * The partition key of this entity and its child rows (spec 01 §2).
     *
     * @return CRC-16/XMODEM of the UUID bytes, mod 256
     */
    public int partition() {
        return Partitions.ofUuid(uuid);
    }

    /** @return the hyphenated UUID in lower case */
    @Override
    public String toString() {
        return uuid.toString();
    }
}
