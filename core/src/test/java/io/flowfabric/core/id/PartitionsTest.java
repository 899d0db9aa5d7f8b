package io.flowfabric.core.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowfabric.core.error.ValidationException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartitionsTest {

    @Test
    @DisplayName("CRC-16/XMODEM of ASCII 123456789 is 0x31C3 (spec 01 §2 test vector)")
    void crc16TestVector() {
        assertThat(Partitions.crc16Xmodem("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x31C3);
        assertThat(Partitions.crc16Xmodem(new byte[0])).isZero();
        assertThat(Partitions.crc16Xmodem(new byte[16])).isZero();
    }

    @Test
    void crc16MatchesABitwiseReferenceForRandomInputs() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 500; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            assertThat(Partitions.crc16Xmodem(bytes)).isEqualTo(bitwiseCrc16(bytes));
        }
    }

    @Test
    void uuidPartitionUsesTheBigEndianBytes() {
        UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        // Computed independently: CRC-16/XMODEM of the 16 bytes is 27785; 27785 mod 256 = 137.
        assertThat(Partitions.ofUuid(uuid)).isEqualTo(137);
        for (int i = 0; i < 200; i++) {
            UUID random = UUID.randomUUID();
            byte[] bytes = ByteBuffer.allocate(16).putLong(random.getMostSignificantBits())
                    .putLong(random.getLeastSignificantBits()).array();
            assertThat(Partitions.ofUuid(random)).isEqualTo(bitwiseCrc16(bytes) % 256).isBetween(0, 255);
        }
    }

    @Test
    void idempotencyKeyPartitionSeparatesNamespaceAndKeyWithAZeroByte() {
        assertThat(Partitions.ofIdempotencyKey("default", "key-1")).isEqualTo(7);
        assertThat(Partitions.ofIdempotencyKey("default", "key-1"))
                .isEqualTo(bitwiseCrc16("default\0key-1".getBytes(StandardCharsets.UTF_8)) % 256);
        assertThat(Partitions.ofIdempotencyKey("ns", "é"))
                .isEqualTo(bitwiseCrc16("ns\0é".getBytes(StandardCharsets.UTF_8)) % 256);
    }

    @Test
    @DisplayName("FNV-1a 64 known vectors")
    void fnv1aVectors() {
        assertThat(Partitions.fnv1a64(new byte[0])).isEqualTo(0xcbf29ce484222325L);
        assertThat(Partitions.fnv1a64("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(0xaf63dc4c8601ec8cL);
        assertThat(Partitions.fnv1a64("foobar".getBytes(StandardCharsets.UTF_8))).isEqualTo(0x85944171f73967e8L);
    }

    @Test
    void workerPartitionIsTheUnsignedHashMod256() {
        assertThat(Partitions.ofWorkerInstance("a")).isEqualTo(0x8c);
        assertThat(Partitions.ofWorkerInstance("worker-1")).isEqualTo(237);
        // The hash of "" has its top bit set: a signed remainder would be negative.
        assertThat(Partitions.ofWorkerInstance("")).isEqualTo(0x25);
    }

    @Test
    void labelsOfEveryFamily() {
        assertThat(Partitions.LOGICAL).isEqualTo(256);
        assertThat(Partitions.label(Partitions.Family.EXECUTION, 0)).isEqualTo("{fp:0}");
        assertThat(Partitions.label(Partitions.Family.BUDGET, 17)).isEqualTo("{b:17}");
        assertThat(Partitions.label(Partitions.Family.QUOTA_POLICY, 255)).isEqualTo("{q:255}");
        assertThat(Partitions.label(Partitions.Family.WORKER, 9)).isEqualTo("{w:9}");
        assertThat(Partitions.parseLabel(Partitions.Family.WORKER, "{w:9}")).isEqualTo(9);
        assertThat(Partitions.parseLabel(Partitions.Family.EXECUTION, "{fp:255}")).isEqualTo(255);
        for (String bad : new String[] {"{w:09}", "{w:256}", "{b:9}", "w:9", "{w:}", "{w:-1}", " {w:9}"}) {
            assertThatThrownBy(() -> Partitions.parseLabel(Partitions.Family.WORKER, bad))
                    .isInstanceOfSatisfying(ValidationException.class,
                            e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_INPUT));
        }
        assertThatThrownBy(() -> Partitions.label(Partitions.Family.BUDGET, 256))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> Partitions.label(Partitions.Family.BUDGET, -1))
                .isInstanceOf(ValidationException.class);
    }

    private static int bitwiseCrc16(byte[] bytes) {
        int crc = 0;
        for (byte b : bytes) {
            crc ^= (b & 0xFF) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }
}
