package io.flowfabric.core.lease;

import io.flowfabric.core.error.ValidationException;
import io.flowfabric.core.id.ExecutionId;
import io.flowfabric.core.id.LeaseId;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * FlowFabric handle codec v2 for the Postgres backend (spec 01 §3). Decoding is strict and reports nothing about the
 * content in its errors, because a handle contains its lease id.
 */
final class HandleCodec {

    static final byte MAGIC = 0x02;
    static final byte WIRE_VERSION = 0x01;
    static final byte BACKEND_POSTGRES = 0x02;
    /** The first byte of FlowFabric's legacy v1 handles. */
    static final byte LEGACY_V1 = 0x01;
    static final byte BACKEND_OTHER_A = 0x01;
    static final byte BACKEND_OTHER_B = 0x03;

    private static final Base64.Encoder TEXT_ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder TEXT_DECODER = Base64.getUrlDecoder();

    private HandleCodec() {
    }

    static byte[] encode(Handle handle) {
        byte[] executionId = utf8(handle.executionId().toString());
        byte[] attemptId = utf8(handle.attemptId());
        byte[] leaseId = utf8(handle.leaseId().toString());
        byte[] laneId = utf8(handle.laneId());
        byte[] workerInstanceId = utf8(handle.workerInstanceId());
        int size = 3 + 4 + executionId.length + 4 + 4 + attemptId.length + 4 + leaseId.length + 8 + 8
                + 4 + laneId.length + 4 + workerInstanceId.length;
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).put(WIRE_VERSION).put(BACKEND_POSTGRES);
        putString(buffer, executionId);
        buffer.putInt(handle.attemptIndex());
        putString(buffer, attemptId);
        putString(buffer, leaseId);
        buffer.putLong(handle.leaseEpoch());
        buffer.putLong(handle.leaseTtlMs());
        putString(buffer, laneId);
        putString(buffer, workerInstanceId);
        return buffer.array();
    }

    static String toText(Handle handle) {
        return TEXT_ENCODER.encodeToString(encode(handle));
    }

    static Handle fromText(String text, HandleKind kind) {
        Objects.requireNonNull(text, "text");
        byte[] bytes;
        try {
            bytes = TEXT_DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw corrupt("handle text is not base64url");
        }
        return decode(bytes, kind);
    }

    static Handle decode(byte[] bytes, HandleKind kind) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(kind, "kind");
        if (bytes.length == 0) {
            throw corrupt("handle is empty");
        }
        if (bytes[0] == LEGACY_V1) {
            throw otherBackend("legacy v1 handle");
        }
        if (bytes[0] != MAGIC) {
            throw corrupt("unknown handle magic");
        }
        if (bytes.length < 3) {
            throw corrupt("handle is truncated");
        }
        if (bytes[1] != WIRE_VERSION) {
            throw corrupt("unknown handle wire version");
        }
        if (bytes[2] == BACKEND_OTHER_A || bytes[2] == BACKEND_OTHER_B) {
            throw otherBackend("handle backend tag " + bytes[2]);
        }
        if (bytes[2] != BACKEND_POSTGRES) {
            throw corrupt("unknown handle backend tag");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 3, bytes.length - 3).order(ByteOrder.LITTLE_ENDIAN);
        ExecutionId executionId;
        try {
            executionId = ExecutionId.parse(readString(in));
        } catch (ValidationException e) {
            throw corrupt("handle holds an unparseable execution id");
        }
        long attemptIndex = readU32(in);
        if (attemptIndex > Integer.MAX_VALUE) {
            throw corrupt("handle attempt index out of range");
        }
        String attemptId = readString(in);
        LeaseId leaseId;
        try {
            leaseId = LeaseId.parse(readString(in));
        } catch (ValidationException e) {
            throw corrupt("handle holds an unparseable lease id");
        }
        long leaseEpoch = readU64(in, "lease epoch");
        long leaseTtlMs = readU64(in, "lease TTL");
        String laneId = readString(in);
        String workerInstanceId = readString(in);
        if (in.hasRemaining()) {
            throw corrupt("handle has trailing bytes");
        }
        return new Handle(executionId, (int) attemptIndex, attemptId, leaseId, leaseEpoch, leaseTtlMs, laneId,
                workerInstanceId, kind);
    }

    private static void putString(ByteBuffer buffer, byte[] utf8) {
        buffer.putInt(utf8.length);
        buffer.put(utf8);
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static long readU32(ByteBuffer in) {
        need(in, 4);
        return Integer.toUnsignedLong(in.getInt());
    }

    private static long readU64(ByteBuffer in, String field) {
        need(in, 8);
        long value = in.getLong();
        // Epochs and TTLs are never above Long.MAX_VALUE; a set top bit means a damaged handle.
        if (value < 0) {
            throw corrupt("handle " + field + " out of range");
        }
        return value;
    }

    private static String readString(ByteBuffer in) {
        long length = readU32(in);
        if (length > in.remaining()) {
            throw corrupt("handle is truncated");
        }
        int len = (int) length;
        ByteBuffer slice = in.slice();
        slice.limit(len);
        in.position(in.position() + len);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw corrupt("handle holds invalid UTF-8");
        }
    }

    private static void need(ByteBuffer in, int bytes) {
        if (in.remaining() < bytes) {
            throw corrupt("handle is truncated");
        }
    }

    private static ValidationException corrupt(String detail) {
        return new ValidationException(ValidationException.Kind.CORRUPT_HANDLE, detail);
    }

    private static ValidationException otherBackend(String detail) {
        return new ValidationException(ValidationException.Kind.HANDLE_FROM_OTHER_BACKEND, detail);
    }
}
