package io.flowfabric.core.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowfabric.core.state.EndReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamValuesTest {

    @Test
    void appendFrameDefaultsFollowTheSpec() {
        AppendFrame frame = AppendFrame.builder(FrameMode.BEST_EFFORT, new byte[] {1}).build();
        assertThat(frame.frameType()).isEqualTo("event");
        assertThat(frame.encoding()).isEqualTo("binary");
        assertThat(frame.correlationId()).isNull();
        assertThat(frame.ttl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(frame.maxlenFloor()).isEqualTo(64);
        assertThat(frame.maxlenCeiling()).isEqualTo(16_384);
        assertThat(frame.emaAlpha()).isEqualTo(0.2);
    }

    @Test
    void factoriesSetModeAndEncoding() {
        assertThat(AppendFrame.summary("{\"a\":1}").mode()).isEqualTo(FrameMode.SUMMARY);
        assertThat(AppendFrame.summary("{\"a\":1}").encoding()).isEqualTo("json");
        assertThat(AppendFrame.durableText("hé").payload()).isEqualTo("hé".getBytes(StandardCharsets.UTF_8));
        assertThat(AppendFrame.durableText("x").encoding()).isEqualTo("utf8");
        assertThat(AppendFrame.bestEffort(new byte[0], "utf8").mode()).isEqualTo(FrameMode.BEST_EFFORT);
        AppendFrame custom = AppendFrame.builder(FrameMode.DURABLE, new byte[0]).frameType("token.delta")
                .correlationId("c-1").ttl(Duration.ofSeconds(5)).maxlen(8, 32).emaAlpha(0.5).build();
        assertThat(custom.frameType()).isEqualTo("token.delta");
        assertThat(custom.correlationId()).isEqualTo("c-1");
        assertThat(custom.maxlenFloor()).isEqualTo(8);
        assertThat(custom.maxlenCeiling()).isEqualTo(32);
        assertThat(custom.emaAlpha()).isEqualTo(0.5);
    }

    @Test
    void framesCompareByPayloadContent() {
        StreamFrame a = new StreamFrame(new FrameId(1, 1), FrameMode.DURABLE, "event", new byte[] {1, 2}, "binary",
                null);
        StreamFrame b = new StreamFrame(new FrameId(1, 1), FrameMode.DURABLE, "event", new byte[] {1, 2}, "binary",
                null);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.toString()).contains("2 bytes").contains("1-1");
    }

    @Test
    void framesResultReportsClosedState() {
        StreamFrame frame = new StreamFrame(new FrameId(3, 2), FrameMode.DURABLE, "event", new byte[0], "binary",
                null);
        StreamFrames open = new StreamFrames(List.of(frame), null, null);
        assertThat(open.closed()).isFalse();
        assertThat(open.lastId()).isEqualTo(new FrameId(3, 2));
        StreamFrames closed = new StreamFrames(List.of(), Instant.ofEpochMilli(5), EndReason.COMPLETED);
        assertThat(closed.closed()).isTrue();
        assertThat(closed.isEmpty()).isTrue();
        assertThat(closed.lastId()).isNull();
    }

    @Test
    void summaryDocumentIsImmutable() {
        SummaryDocument doc = new SummaryDocument(JsonMergePatch.parse("{\"a\":1}"), 1,
                SummaryDocument.JSON_MERGE_PATCH, Instant.EPOCH, Instant.EPOCH);
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.document()).put("b", 2);
        assertThat(doc.json()).isEqualTo("{\"a\":1}");
    }
}
