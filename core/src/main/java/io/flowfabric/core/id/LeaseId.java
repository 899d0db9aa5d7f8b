package io.flowfabric.core.id;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;

/**
 * Identifies one lease: 128 bits from a cryptographically secure generator, persisted and checked on every
 * lease-holder write (spec 01 §1, 09 §7).
 *
 * <p>The lease id is what makes a handle impossible to guess. It is returned only in the claim result and the
 * handle; never log it or put it in events or metrics. Use {@link #fingerprint()} wherever a lease must be
 * recognisable. Its text form is the hyphenated UUID form in lower case; the value is not necessarily a valid
 * version-4 UUID because all 128 bits are random.
 *
 * @param uuid the 128 bits in UUID form
 * @since 0.1
 */
public record LeaseId(UUID uuid) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Creates the id.
     *
     * @param uuid the 128 bits in UUID form
     */
    public LeaseId {
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * Draws a new lease id: 16 bytes from a shared {@link SecureRandom}, all 128 bits random (no version bits).
     *
     * @return a fresh lease id
     */
    public static LeaseId random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new LeaseId(new UUID(buffer.getLong(), buffer.getLong()));
    }

    /**
     * Parses the hyphenated form, in any case. The message of a failure never contains the text.
     *
     * @param text the text
     * @return the lease id
     * @throws io.flowfabric.core.error.ValidationException {@code INVALID_ID} when the text is not a canonical UUID
     */
    public static LeaseId parse(String text) {
        return new LeaseId(Uuids.parse(text, "lease id"));
    }

    /**
     * A short, non-reversible identifier of this lease that may appear in reads, events, logs and metrics.
     *
     * @return the first 16 lower-case hex characters of SHA-256 over the UTF-8 of {@link #toString()}
     */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(uuid.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256.
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * The canonical text form. This is the secret itself: never log it.
     *
     * @return the hyphenated lower-case form
     */
    @Override
    public String toString() {
        return uuid.toString();
    }
}
