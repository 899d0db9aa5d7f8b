package io.flowfabric.core.id;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies a budget; the budget and its child rows live in the partition of this UUID.
 *
 * <p>The text form is the hyphenated UUID in lower case; {@link #parse(String)} accepts any case.
 *
 * @param uuid the UUID
 * @since 0.1
 */
public record BudgetId(UUID uuid) {

    /**
     * Creates the id.
     *
     * @param uuid the UUID
     */
    public BudgetId {
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * Mints a new id from a random (version 4) UUID.
     *
     * @return a fresh id
     */
    public static BudgetId random() {
        return new BudgetId(UUID.randomUUID());
    }

    /**
     * Parses the hyphenated UUID text form, in any case.
     *
     * @param text the text
     * @return the id
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_ID} when the text is not a canonical UUID
     */
    public static BudgetId parse(String text) {
        return new BudgetId(Uuids.parse(text, "budget id"));
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
