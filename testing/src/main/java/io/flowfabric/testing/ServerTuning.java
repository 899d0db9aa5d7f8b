package io.flowfabric.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server settings applied to the servers this module starts itself (Testcontainers and embedded): room for many
 * engines and partitioned tables, and no durability, which tests do not need and which costs most of the time.
 */
final class ServerTuning {

    private ServerTuning() {
    }

    static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("max_connections", "300");
        // Every partition of a partitioned table takes a lock; the default 64 is too few.
        settings.put("max_locks_per_transaction", "256");
        settings.put("fsync", "off");
        settings.put("synchronous_commit", "off");
        settings.put("full_page_writes", "off");
        settings.put("shared_buffers", "128MB");
        return settings;
    }
}
