package io.flowfabric.postgres.sql;

import io.flowfabric.core.id.ExecutionId;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * NOTIFY channel names of one engine schema (spec 04 §2). The prefix {@code ff_<crc32(schema)>} keeps engines in
 * different schemas of one database from waking each other. Payloads are always empty: a notification is a wake-up
 * and the tables are the truth.
 */
public final class Channels {

    private final String prefix;

    public Channels(String schema) {
        this.prefix = "ff_" + crc32Hex(schema);
    }

    public String prefix() {
        return prefix;
    }

    /** Sent when a transaction made an execution of {@code lane} eligible. */
    public String ready(String lane) {
        return prefix + "_ready_" + crc32Hex(lane);
    }

    public String completion() {
        return prefix + "_completion";
    }

    /**
     * Sent, besides {@link #completion()}, when a flow member became terminal: the wake-up of the completion
     * dispatcher, which has nothing to do for executions outside flows.
     */
    public String flowCompletion() {
        return prefix + "_flowdone";
    }

    public String lease() {
        return prefix + "_lease";
    }

    public String signal() {
        return prefix + "_signal";
    }

    public String operator() {
        return prefix + "_operator";
    }

    /** Sent when a transaction enqueued sibling cancels (an engine-internal wake-up for the sibling dispatcher). */
    public String siblingCancel() {
        return prefix + "_sibling";
    }

    /** Sent when a flow cancel was requested (wakes the backlog drain on any node). */
    public String flowCancel() {
        return prefix + "_flowcancel";
    }

    public String keys() {
        return prefix + "_keys";
    }

    /** The stream channel of one attempt. */
    public String stream(ExecutionId id, int attemptIndex) {
        return prefix + "_s_" + id.uuid().toString().replace("-", "") + "_" + attemptIndex;
    }

    /**
     * The bounded class of one of this engine's channel names, for metrics: {@code ready}, {@code completion},
     * {@code flowdone}, {@code lease}, {@code signal}, {@code operator}, {@code keys}, {@code stream}, {@code sibling},
     * {@code flowcancel}, or {@code other}.
     */
    public String classOf(String channel) {
        if (!channel.startsWith(prefix + "_")) {
            return "other";
        }
        String rest = channel.substring(prefix.length() + 1);
        if (rest.startsWith("ready_")) {
            return "ready";
        }
        if (rest.startsWith("s_")) {
            return "stream";
        }
        return switch (rest) {
            case "completion", "flowdone", "lease", "signal", "operator", "keys", "sibling", "flowcancel" -> rest;
            default -> "other";
        };
    }

    static String crc32Hex(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
