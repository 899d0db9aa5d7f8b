package io.flowfabric.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.error.ValidationException.Kind;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HandleTest {

    private static final ExecutionId EXECUTION =
            ExecutionId.parse("{fp:137}:123e4567-e89b-12d3-a456-426614174000");
    private static final LeaseId LEASE = LeaseId.parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static final String ATTEMPT_ID = "5d1c0a2e-7b7e-4c61-9d0c-2f1d7a3e9b44";

    private static Handle handle() {
        return new Handle(EXECUTION, 2, ATTEMPT_ID, LEASE, 7L, 30_000L, "emails", "worker-1/instance-9",
                HandleKind.RECLAIMED);
    }

    @Test
    @DisplayName("LE-10: the round trip is identical in bytes and base64url")
    void roundTrip() {
        Handle original = handle();
        byte[] bytes = original.encode();
        Handle decoded = Handle.decode(bytes, HandleKind.RECLAIMED);
        assertThat(decoded).isEqualTo(original);
        assertThat(decoded.encode()).isEqualTo(bytes);

        String text = original.toText();
        assertThat(text).matches("[A-Za-z0-9_-]+");
        Handle fromText = Handle.fromText(text, HandleKind.RECLAIMED);
        assertThat(fromText).isEqualTo(original);
        assertThat(fromText.toText()).isEqualTo(text);
        assertThat(Base64.getUrlDecoder().decode(text)).isEqualTo(bytes);
    }

    @Test
    void layoutIsCodecV2WithThePostgresTag() {
        byte[] expected = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .string(EXECUTION.toString())
                .u32(2)
                .string(ATTEMPT_ID)
                .string(LEASE.toString())
                .u64(7)
                .u64(30_000)
                .string("emails")
                .string("worker-1/instance-9")
                .toByteArray();
        assertThat(handle().encode()).isEqualTo(expected);
    }

    @Test
    void theKindIsNotPartOfTheBytes() {
        byte[] bytes = handle().encode();
        for (HandleKind kind : HandleKind.values()) {
            Handle decoded = Handle.decode(bytes, kind);
            assertThat(decoded.kind()).isEqualTo(kind);
            assertThat(decoded.encode()).isEqualTo(bytes);
        }
    }

    @Test
    void fenceCarriesTheFourFencedValues() {
        LeaseFence fence = handle().fence();
        assertThat(fence).isEqualTo(new LeaseFence(EXECUTION, 2, 7L, LEASE));
    }

    @Test
    @DisplayName("LE-10: backend tags 0x01 and 0x03 and the legacy v1 form are HANDLE_FROM_OTHER_BACKEND")
    void otherBackends() {
        byte[] bytes = handle().encode();
        for (byte tag : new byte[] {0x01, 0x03}) {
            byte[] other = bytes.clone();
            other[2] = tag;
            assertKind(() -> Handle.decode(other, HandleKind.FRESH), Kind.HANDLE_FROM_OTHER_BACKEND);
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(other);
            assertKind(() -> Handle.fromText(text, HandleKind.FRESH), Kind.HANDLE_FROM_OTHER_BACKEND);
        }
        byte[] legacy = bytes.clone();
        legacy[0] = 0x01;
        assertKind(() -> Handle.decode(legacy, HandleKind.FRESH), Kind.HANDLE_FROM_OTHER_BACKEND);
        assertKind(() -> Handle.decode(new byte[] {0x01}, HandleKind.FRESH), Kind.HANDLE_FROM_OTHER_BACKEND);
    }

    @Test
    @DisplayName("LE-10: a trailing byte is CORRUPT_HANDLE")
    void trailingByte() {
        byte[] bytes = handle().encode();
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertKind(() -> Handle.decode(longer, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
    }

    @Test
    void everyTruncationIsCorrupt() {
        byte[] bytes = handle().encode();
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            assertKind(() -> Handle.decode(truncated, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        }
    }

    @Test
    void badUtf8IsCorrupt() {
        byte[] bytes = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .string(EXECUTION.toString())
                .u32(2)
                .string(ATTEMPT_ID)
                .string(LEASE.toString())
                .u64(7)
                .u64(30_000)
                .u32(3).bytes(0x65, 0xC3, 0x28)
                .string("w")
                .toByteArray();
        assertKind(() -> Handle.decode(bytes, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        byte[] overlong = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .u32(2).bytes(0xC0, 0xAF)
                .toByteArray();
        assertKind(() -> Handle.decode(overlong, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
    }

    @Test
    void unparseableIdsAreCorrupt() {
        byte[] badExecution = valid().replaceExecution("{fp:256}:123e4567-e89b-12d3-a456-426614174000");
        assertKind(() -> Handle.decode(badExecution, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        byte[] badLease = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .string(EXECUTION.toString())
                .u32(2)
                .string(ATTEMPT_ID)
                .string("not-a-lease")
                .u64(7)
                .u64(30_000)
                .string("emails")
                .string("w")
                .toByteArray();
        assertKind(() -> Handle.decode(badLease, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
    }

    @Test
    void unknownMagicVersionOrTagAndOutOfRangeNumbersAreCorrupt() {
        byte[] bytes = handle().encode();
        byte[] magic = bytes.clone();
        magic[0] = 0x7F;
        assertKind(() -> Handle.decode(magic, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        byte[] version = bytes.clone();
        version[1] = 0x02;
        assertKind(() -> Handle.decode(version, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        byte[] tag = bytes.clone();
        tag[2] = 0x09;
        assertKind(() -> Handle.decode(tag, HandleKind.FRESH), Kind.CORRUPT_HANDLE);

        byte[] hugeLength = new Writer().bytes(0x02, 0x01, 0x02).u32(0xFFFFFFFFL).bytes(0x41).toByteArray();
        assertKind(() -> Handle.decode(hugeLength, HandleKind.FRESH), Kind.CORRUPT_HANDLE);

        byte[] negativeEpoch = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .string(EXECUTION.toString())
                .u32(2)
                .string(ATTEMPT_ID)
                .string(LEASE.toString())
                .u64(-1L)
                .u64(30_000)
                .string("emails")
                .string("w")
                .toByteArray();
        assertKind(() -> Handle.decode(negativeEpoch, HandleKind.FRESH), Kind.CORRUPT_HANDLE);

        byte[] hugeIndex = new Writer()
                .bytes(0x02, 0x01, 0x02)
                .string(EXECUTION.toString())
                .u32(0x80000000L)
                .string(ATTEMPT_ID)
                .string(LEASE.toString())
                .u64(7)
                .u64(30_000)
                .string("emails")
                .string("w")
                .toByteArray();
        assertKind(() -> Handle.decode(hugeIndex, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
    }

    @Test
    void textThatIsNotBase64UrlIsCorrupt() {
        assertKind(() -> Handle.fromText("not base64!", HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        assertKind(() -> Handle.fromText("", HandleKind.FRESH), Kind.CORRUPT_HANDLE);
        String standardAlphabet = Base64.getEncoder().encodeToString(new byte[] {(byte) 0xFB, (byte) 0xFF});
        assertKind(() -> Handle.fromText(standardAlphabet, HandleKind.FRESH), Kind.CORRUPT_HANDLE);
    }

    @Test
    void errorsAndToStringNeverContainTheLeaseId() {
        assertThat(handle().toString()).doesNotContain(LEASE.toString()).contains(LEASE.fingerprint());
        assertThat(handle().fence().toString()).doesNotContain(LEASE.toString()).contains(LEASE.fingerprint());
        byte[] bytes = handle().encode();
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> Handle.decode(longer, HandleKind.FRESH)).hasMessageNotContaining(LEASE.toString());
    }

    @Test
    void negativeNumbersAreRejectedOnConstruction() {
        assertKind(() -> new Handle(EXECUTION, -1, ATTEMPT_ID, LEASE, 1, 1, "l", "w", HandleKind.FRESH),
                Kind.INVALID_INPUT);
        assertKind(() -> new Handle(EXECUTION, 0, ATTEMPT_ID, LEASE, -1, 1, "l", "w", HandleKind.FRESH),
                Kind.INVALID_INPUT);
        assertKind(() -> new Handle(EXECUTION, 0, ATTEMPT_ID, LEASE, 0, -1, "l", "w", HandleKind.FRESH),
                Kind.INVALID_INPUT);
        assertKind(() -> new LeaseFence(EXECUTION, -1, 0, LEASE), Kind.INVALID_INPUT);
        assertKind(() -> new LeaseFence(EXECUTION, 0, -1, LEASE), Kind.INVALID_INPUT);
    }

    @Test
    void unicodeStringsRoundTrip() {
        Handle unicode = new Handle(ExecutionId.of(0, UUID.randomUUID()), 0, "attempt-é", LeaseId.random(), 0, 0,
                "lane ✓", "wörker", HandleKind.FRESH);
        assertThat(Handle.fromText(unicode.toText(), HandleKind.FRESH)).isEqualTo(unicode);
    }

    private static void assertKind(ThrowingCallable call, Kind kind) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.kind()).isEqualTo(kind));
    }

    private static Valid valid() {
        return new Valid();
    }

    /** Builds the valid handle's bytes with one field replaced. */
    private static final class Valid {
        byte[] replaceExecution(String executionId) {
            return new Writer()
                    .bytes(0x02, 0x01, 0x02)
                    .string(executionId)
                    .u32(2)
                    .string(ATTEMPT_ID)
                    .string(LEASE.toString())
                    .u64(7)
                    .u64(30_000)
                    .string("emails")
                    .string("worker-1/instance-9")
                    .toByteArray();
        }
    }

    /** An independent little-endian writer, so that the layout test does not reuse the codec. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer bytes(int... values) {
            for (int value : values) {
                out.write(value);
            }
            return this;
        }

        Writer u32(long value) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array());
            return this;
        }

        Writer u64(long value) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
            return this;
        }

        Writer string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            u32(utf8.length);
            out.writeBytes(utf8);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
