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

    @Test
    void typedPartsOfACursorOfTheExpectedShape() {
        List<String> parts = PageCursor.decode(PageCursor.encode(
                List.of("1712345678901", "123e4567-e89b-12d3-a456-426614174000")));
        assertThat(PageCursor.longAt(parts, 0, 2)).isEqualTo(1712345678901L);
        assertThat(PageCursor.uuidAt(parts, 1, 2)).hasToString("123e4567-e89b-12d3-a456-426614174000");
        // Another listing's cursor: wrong number of parts, or a part of the wrong type.
        assertInvalid(() -> PageCursor.longAt(parts, 0, 3));
        assertInvalid(() -> PageCursor.uuidAt(parts, 0, 2));
        assertInvalid(() -> PageCursor.longAt(parts, 1, 2));
    }

    @Test
    void pageOfFetchedRowsHasACursorOnlyWhenMoreFollow() {
        io.flowfabric.core.execution.Page<Integer> full =
                io.flowfabric.core.execution.Page.ofFetched(List.of(1, 2, 3), 2, last -> "after-" + last);
        assertThat(full.items()).containsExactly(1, 2);
        assertThat(full.cursor()).isEqualTo("after-2");
        io.flowfabric.core.execution.Page<Integer> last =
                io.flowfabric.core.execution.Page.ofFetched(List.of(1, 2), 2, x -> "after-" + x);
        assertThat(last.items()).containsExactly(1, 2);
        assertThat(last.cursor()).isNull();
    }

    private static void assertInvalid(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR));
    }
}
