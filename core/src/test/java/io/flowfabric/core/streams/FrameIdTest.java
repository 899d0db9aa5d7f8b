package io.flowfabric.core.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FrameIdTest {

    @Test
    void parsesAndFormatsTsDashSeq() {
        FrameId id = FrameId.parse("1718000000000-42");
        assertThat(id).isEqualTo(new FrameId(1_718_000_000_000L, 42));
        assertThat(id.format()).isEqualTo("1718000000000-42");
        assertThat(id.toString()).isEqualTo("1718000000000-42");
        assertThat(FrameId.parse(id.format())).isEqualTo(id);
    }

    @Test
    @DisplayName("a bare <ts> means <ts>-0, and 0-0 is the position before the first frame")
    void bareTimestampMeansSeqZero() {
        assertThat(FrameId.parse("1718000000000")).isEqualTo(new FrameId(1_718_000_000_000L, 0));
        assertThat(FrameId.parse("0-0")).isEqualTo(FrameId.ZERO);
        assertThat(FrameId.parse("0")).isEqualTo(FrameId.ZERO);
    }

    @Test
    void acceptsTheLargestLong() {
        String max = Long.toString(Long.MAX_VALUE);
        assertThat(FrameId.parse(max + "-" + max)).isEqualTo(new FrameId(Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    @DisplayName("anything but unsigned decimal parts is INVALID_CURSOR")
    void rejectsMalformedText() {
        for (String bad : List.of("", "-", "-1", "1-", "-5-1", "1--2", "1-2-3", "+1", "1-+2", " 1-2", "1-2 ", "a-1",
                "1-0x2", "1.5-2", "9223372036854775808-1", "1-9223372036854775808", "12345678901234567890")) {
            assertThatThrownBy(() -> FrameId.parse(bad)).as("'%s'", bad)
                    .isInstanceOfSatisfying(ValidationException.class,
                            e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_CURSOR));
        }
    }

    @Test
    void rejectsNegativeParts() {
        assertThatThrownBy(() -> new FrameId(-1, 0)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new FrameId(0, -1)).isInstanceOf(ValidationException.class);
    }

    @Test
    @DisplayName("ids compare as the pair (ts, seq)")
    void comparesTsThenSeq() {
        List<FrameId> ids = new ArrayList<>(List.of(new FrameId(2, 1), new FrameId(1, 9), new FrameId(2, 0),
                new FrameId(1, 10), FrameId.ZERO));
        Collections.sort(ids);
        assertThat(ids).containsExactly(FrameId.ZERO, new FrameId(1, 9), new FrameId(1, 10), new FrameId(2, 0),
                new FrameId(2, 1));
        assertThat(new FrameId(5, 5)).isEqualByComparingTo(FrameId.parse("5-5"));
    }

    @Test
    void cursorsNameTheirPosition() {
        assertThat(StreamCursor.START).isInstanceOf(StreamCursor.Start.class).hasToString("START");
        assertThat(StreamCursor.END).isInstanceOf(StreamCursor.End.class).hasToString("END");
        StreamCursor.At at = StreamCursor.at("7-3");
        assertThat(at.id()).isEqualTo(new FrameId(7, 3));
        assertThat(at).isEqualTo(StreamCursor.at(new FrameId(7, 3))).hasToString("at(7-3)");
        assertThatThrownBy(() -> StreamCursor.at("x")).isInstanceOf(ValidationException.class);
    }

    @Test
    void modesHaveCanonicalLiterals() {
        assertThat(FrameMode.DURABLE.literal()).isEqualTo("durable");
        assertThat(FrameMode.SUMMARY.literal()).isEqualTo("summary");
        assertThat(FrameMode.BEST_EFFORT.literal()).isEqualTo("best_effort");
        for (FrameMode mode : FrameMode.values()) {
            assertThat(FrameMode.fromLiteral(mode.literal())).isSameAs(mode);
        }
        assertThatThrownBy(() -> FrameMode.fromLiteral("BEST_EFFORT")).isInstanceOf(IllegalArgumentException.class);
    }
}
