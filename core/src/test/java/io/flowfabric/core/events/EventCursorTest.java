package io.flowfabric.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventCursorTest {

    @Test
    void encodesVersion3AndTwoBigEndianLongs() {
        EventCursor cursor = new EventCursor(0x0102030405060708L, 0x1112131415161718L);
        assertThat(cursor.encode()).containsExactly(0x03,
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18);
    }

    @Test
    void roundTripsInBytesAndText() {
        for (EventCursor cursor : List.of(new EventCursor(0, 0), new EventCursor(745, 12),
                new EventCursor(-1L, Long.MIN_VALUE), new EventCursor(Long.MAX_VALUE, 1))) {
            assertThat(EventCursor.decode(cursor.encode())).isEqualTo(cursor);
            String text = cursor.toText();
            assertThat(text).doesNotContain("=").matches("[A-Za-z0-9_-]+");
            assertThat(EventCursor.fromText(text)).isEqualTo(cursor);
            assertThat(EventCursor.fromText(text).toText()).isEqualTo(text);
        }
    }

    @Test
    @DisplayName("FlowFabric's version 0x02 and any other version byte are INVALID_CURSOR")
    void otherVersionsAreRejected() {
        byte[] bytes = new EventCursor(1, 2).encode();
        for (int version : new int[] {0x00, 0x01, 0x02, 0x04, 0xFF}) {
            byte[] other = bytes.clone();
            other[0] = (byte) version;
            assertInvalid(() -> EventCursor.decode(other));
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(other);
            assertInvalid(() -> EventCursor.fromText(text));
        }
    }

    @Test
    void wrongLengthOrBadBase64IsRejected() {
        byte[] bytes = new EventCursor(1, 2).encode();
        assertInvalid(() -> EventCursor.decode(new byte[0]));
        assertInvalid(() -> EventCursor.decode(java.util.Arrays.copyOf(bytes, 16)));
        assertInvalid(() -> EventCursor.decode(java.util.Arrays.copyOf(bytes, 18)));
        assertInvalid(() -> EventCursor.fromText(""));
        assertInvalid(() -> EventCursor.fromText("@@@"));
        assertInvalid(() -> EventCursor.fromText("A"));
    }

    @Test
    void comparesAsAnUnsignedPair() {
        EventCursor a = new EventCursor(5, 100);
        EventCursor b = new EventCursor(5, 101);
        EventCursor c = new EventCursor(6, 0);
        EventCursor high = new EventCursor(-1L, 0);
        EventCursor highEvent = new EventCursor(6, -1L);
        List<EventCursor> sorted = new ArrayList<>(List.of(high, highEvent, c, b, a));
        sorted.sort(null);
        assertThat(sorted).containsExactly(a, b, c, highEvent, high);
        assertThat(a.compareTo(new EventCursor(5, 100))).isZero();
    }

    @Test
    void toStringShowsUnsignedValues() {
        assertThat(new EventCursor(-1L, 3)).hasToString("EventCursor[tx=18446744073709551615, event=3]");
    }

    private static void assertInvalid(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR));
    }
}
