package io.flowfabric.core.id;

import io.flowfabric.core.error.ValidationException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The partition functions of spec 01 §2. There are exactly {@value #LOGICAL} logical partitions; every row carries
 * its partition key in 0..255.
 *
 * <ul>
 *   <li>flows, their members and standalone executions: CRC-16/XMODEM of the UUID's 16 bytes, mod 256;</li>
 *   <li>budgets and quota policies: the same function of their UUID;</li>
 *   <li>idempotency keys: CRC-16/XMODEM of UTF-8 namespace, a 0x00 byte, UTF-8 key, mod 256;</li>
 *   <li>worker registry rows: FNV-1a 64-bit of the UTF-8 worker instance id, mod 256.</li>
 * </ul>
 *
 * <p>The functions are pure and thread-safe. The database never computes them; the engine passes the key.
 *
 * @since 0.1
 */
public final class Partitions {

    /** The number of logical partitions; recorded in {@code ff_config} and checked at engine start. */
    public static final int LOGICAL = 256;

    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final int[] CRC16_TABLE = crc16Table();

    private Partitions() {
    }

    /**
     * The families of partitioned entities and their partition-key labels for list APIs.
     */
    public enum Family {
        /** Executions and flows: {@code {fp:N}}. */
        EXECUTION("fp"),
        /** Budgets: {@code {b:N}}. */
        BUDGET("b"),
        /** Quota policies: {@code {q:N}}. */
        QUOTA_POLICY("q"),
        /** Worker registry rows: {@code {w:N}}. */
        WORKER("w");

        private final String prefix;
        private final Pattern pattern;

        Family(String prefix) {
            this.prefix = prefix;
            this.pattern = Pattern.compile("\\{" + prefix + ":(0|[1-9][0-9]{0,2})}");
        }

        /** @return the label prefix, for example {@code fp} */
        public String prefix() {
            return prefix;
        }
    }

    /**
     * CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final XOR.
     *
     * @param bytes the input
     * @return the checksum in 0..0xFFFF; {@code "123456789"} gives 0x31C3
     */
    public static int crc16Xmodem(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        int crc = 0;
        for (byte b : bytes) {
            crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ b) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    /**
     * The partition of a UUID-keyed entity: CRC-16/XMODEM of the UUID's 16 bytes in RFC 4122 (big-endian) order,
     * mod 256.
     *
     * @param uuid the entity's UUID
     * @return the partition key in 0..255
     */
    public static int ofUuid(UUID uuid) {
        Objects.requireNonNull(uuid, "uuid");
        byte[] bytes = ByteBuffer.allocate(16)
                .putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits())
                .array();
        return crc16Xmodem(bytes) % LOGICAL;
    }

    /**
     * The partition of a {@code createExecution} idempotency key: CRC-16/XMODEM of UTF-8 {@code namespace}, a 0x00
     * byte and UTF-8 {@code key}, mod 256.
     *
     * @param namespace the execution's namespace
     * @param key       the idempotency key
     * @return the partition key in 0..255
     */
    public static int ofIdempotencyKey(String namespace, String key) {
        byte[] ns = Objects.requireNonNull(namespace, "namespace").getBytes(StandardCharsets.UTF_8);
        byte[] k = Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[ns.length + 1 + k.length];
        System.arraycopy(ns, 0, all, 0, ns.length);
        all[ns.length] = 0;
        System.arraycopy(k, 0, all, ns.length + 1, k.length);
        return crc16Xmodem(all) % LOGICAL;
    }

    /**
     * FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
     *
     * @param bytes the input
     * @return the hash as a Java {@code long}; interpret it as unsigned
     */
    public static long fnv1a64(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        long hash = FNV_OFFSET_BASIS;
        for (byte b : bytes) {
            hash ^= b & 0xFF;
            hash *= FNV_PRIME;
        }
        return hash;
    }

    /**
     * The partition of a worker registry row: FNV-1a 64 of the UTF-8 worker instance id, taken as unsigned, mod 256.
     *
     * @param workerInstanceId the worker instance id
     * @return the partition key in 0..255
     */
    public static int ofWorkerInstance(String workerInstanceId) {
        long hash = fnv1a64(Objects.requireNonNull(workerInstanceId, "workerInstanceId")
                .getBytes(StandardCharsets.UTF_8));
        return (int) Long.remainderUnsigned(hash, LOGICAL);
    }

    /**
     * The partition-key label of a list API, for example {@code label(Family.BUDGET, 7)} is {@code {b:7}}.
     *
     * @param family    the entity family
     * @param partition the partition key
     * @return the label
     * @throws ValidationException {@code INVALID_INPUT} when the partition is outside 0..255
     */
    public static String label(Family family, int partition) {
        Objects.requireNonNull(family, "family");
        checkPartition(partition, ValidationException.Kind.INVALID_INPUT);
        return "{" + family.prefix + ":" + partition + "}";
    }

    /**
     * Parses a partition-key label of the given family; the number is decimal without leading zeros.
     *
     * @param family the expected entity family
     * @param label  the label, for example {@code {w:12}}
     * @return the partition key in 0..255
     * @throws ValidationException {@code INVALID_INPUT} when the label is malformed or of another family
     */
    public static int parseLabel(Family family, String label) {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(label, "label");
        Matcher m = family.pattern.matcher(label);
        if (!m.matches()) {
            throw new ValidationException(ValidationException.Kind.INVALID_INPUT,
                    "partition label must be {" + family.prefix + ":N} with N in 0..255");
        }
        int partition = Integer.parseInt(m.group(1));
        checkPartition(partition, ValidationException.Kind.INVALID_INPUT);
        return partition;
    }

    static void checkPartition(int partition, ValidationException.Kind kind) {
        if (partition < 0 || partition >= LOGICAL) {
            throw new ValidationException(kind, "partition must be 0..255");
        }
    }

    private static int[] crc16Table() {
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            table[i] = crc & 0xFFFF;
        }
        return table;
    }
}
