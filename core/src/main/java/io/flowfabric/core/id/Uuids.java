package io.flowfabric.core.id;

import io.flowfabric.core.error.ValidationException;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/** Strict parsing of the canonical hyphenated UUID text form shared by every id type. */
final class Uuids {

    /** 8-4-4-4-12 hex digits in any case; {@link UUID#fromString} alone would accept shorter groups. */
    static final String CANONICAL = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    private static final Pattern PATTERN = Pattern.compile(CANONICAL);

    private Uuids() {
    }

    /**
     * Parses the canonical form. The rejected text is deliberately left out of the message: it may be a secret
     * (a lease id) or arbitrary caller input.
     */
    static UUID parse(String text, String what) {
        Objects.requireNonNull(text, what);
        if (!PATTERN.matcher(text).matches()) {
            throw new ValidationException(ValidationException.Kind.INVALID_ID,
                    what + " must be a hyphenated UUID (8-4-4-4-12 hex digits)");
        }
        return UUID.fromString(text);
    }
}
