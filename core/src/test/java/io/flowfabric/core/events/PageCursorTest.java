package io.flowfabric.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class PageCursorTest {

    @Test
    void roundTripsKeyParts() {
        for (List<String> parts : List.of(
                List.<String>of(),
                List.of("1712345678901", "{fp:3}:123e4567-e89b-12d3-a456-426614174000"),
                List.of("", "é✓", "a\u0000b"),
                List.of("x".repeat(500)))) {
            String cursor = PageCursor.encode(parts);
            assertThat(cursor).matches("[A-Za-z0-9_-]+");
            assertThat(PageCursor.decode(cursor)).isEqualTo(parts);
        }
    }

    @Test
    void undecodableCursorsAreInvalid() {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        assertInvalid(() -> PageCursor.decode(""));
        assertInvalid(() -> PageCursor.decode("!!!"));
        assertInvalid(() -> PageCursor.decode("A"));
        assertInvalid(() -> PageCursor.decode(encoder.encodeToString(new byte[] {0x02})));
        assertInvalid(() -> PageCursor.decode(encoder.encodeToString(new byte[] {0x01, 0, 0, 0})));
        assertInvalid(() -> PageCursor.decode(encoder.encodeToString(new byte[] {0x01, 0, 0, 0, 5, 'a'})));
        assertInvalid(() -> PageCursor.decode(encoder.encodeToString(new byte[] {0x01, 0, 0, 0, 1, (byte) 0xFF})));
        assertInvalid(() -> PageCursor.decode("A".repeat(PageCursor.MAX_TEXT_LENGTH + 4)));
        String valid = PageCursor.encode(List.of("abc"));
        assertInvalid(() -> PageCursor.decode(valid.substring(0, valid.length() - 1)));
    }

    private static void assertInvalid(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR));
    }
}
