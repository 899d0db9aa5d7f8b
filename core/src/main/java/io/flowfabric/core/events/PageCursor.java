package io.flowfabric.core.events;

import io.flowfabric.core.error.ValidationException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The opaque cursor of list operations: the keyset key of the last row of a page, as text parts (spec 01 §3).
 *
 * <p>Encoding: version byte {@code 0x01}, then every part as a u32 big-endian byte length and its UTF-8 bytes; the
 * text form is base64url without padding. Callers treat the text as opaque; each list operation decides what its
 * parts mean and validates them again after decoding.
 *
 * @since 0.1
 */
public final class PageCursor {

    /** Cursors longer than this are rejected before decoding; real keyset keys are far shorter. */
    public static final int MAX_TEXT_LENGTH = 4096;

    private static final byte VERSION = 0x01;
    private static final Base64.Encoder TEXT_ENCODER = Base64.getUrlEncoder().withoutPadding();

    private PageCursor() {
    }

    /**
     * Encodes the key parts of the last row of a page.
     *
     * @param keyParts the parts, in key order; may be empty
     * @return the base64url text
     */
    public static String encode(List<String> keyParts) {
        Objects.requireNonNull(keyParts, "keyParts");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(VERSION);
        for (String part : keyParts) {
            byte[] utf8 = Objects.requireNonNull(part, "key part").getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(utf8.length).array());
            out.writeBytes(utf8);
        }
        return TEXT_ENCODER.encodeToString(out.toByteArray());
    }

    /**
     * Decodes a cursor produced by {@link #encode(List)}.
     *
     * @param cursor the base64url text
     * @return the key parts, immutable
     * @throws ValidationException {@code INVALID_CURSOR} when the text is not such a cursor
     */
    public static List<String> decode(String cursor) {
        Objects.requireNonNull(cursor, "cursor");
        if (cursor.isEmpty() || cursor.length() > MAX_TEXT_LENGTH) {
            throw invalid("page cursor is empty or too long");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw invalid("page cursor is not base64url");
        }
        if (bytes.length == 0 || bytes[0] != VERSION) {
            throw invalid("unsupported page cursor version");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        List<String> parts = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw invalid("page cursor is truncated");
            }
            long length = Integer.toUnsignedLong(in.getInt());
            if (length > in.remaining()) {
                throw invalid("page cursor is truncated");
            }
            ByteBuffer slice = in.slice();
            slice.limit((int) length);
            in.position(in.position() + (int) length);
            try {
                parts.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(slice)
                        .toString());
            } catch (CharacterCodingException e) {
                throw invalid("page cursor holds invalid UTF-8");
            }
        }
        return List.copyOf(parts);
    }

    /**
     * Part {@code index} of a decoded cursor of exactly {@code expected} parts, as a UUID.
     *
     * @throws ValidationException {@code INVALID_CURSOR} when the cursor has another shape
     */
    public static java.util.UUID uuidAt(List<String> parts, int index, int expected) {
        checkShape(parts, expected);
        try {
            return java.util.UUID.fromString(parts.get(index));
        } catch (IllegalArgumentException e) {
            throw notThisListing();
        }
    }

    /**
     * Part {@code index} of a decoded cursor of exactly {@code expected} parts, as a long.
     *
     * @throws ValidationException {@code INVALID_CURSOR} when the cursor has another shape
     */
    public static long longAt(List<String> parts, int index, int expected) {
        checkShape(parts, expected);
        try {
            return Long.parseLong(parts.get(index));
        } catch (NumberFormatException e) {
            throw notThisListing();
        }
    }

    private static void checkShape(List<String> parts, int expected) {
        if (parts.size() != expected) {
            throw notThisListing();
        }
    }

    private static ValidationException notThisListing() {
        return invalid("the page cursor is not from this listing");
    }

    private static ValidationException invalid(String detail) {
        return new ValidationException(ValidationException.Kind.INVALID_CURSOR, detail);
    }
}
