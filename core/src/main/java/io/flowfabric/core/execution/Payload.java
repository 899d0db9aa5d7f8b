package io.flowfabric.core.execution;

/**
 * Bytes with their encoding label, returned exactly as stored.
 *
 * @since 0.1
 */
public record Payload(byte[] bytes, String encoding) {

    /** The bytes decoded as UTF-8 (convenience for text payloads). */
    public String utf8() {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
