package io.flowfabric.postgres.executions;

import io.flowfabric.postgres.notify.NotificationHub;
import io.flowfabric.postgres.sql.Channels;
import io.flowfabric.postgres.sql.Database;
import io.flowfabric.postgres.sql.SqlTemplate;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What the execution operations need from the engine's configuration.
 *
 * @param instanceTagKey    the tag whose value is copied to {@code instance_tag} (default {@code cairn.instance_id})
 * @param maxInputBytes     input payload limit (default 1 MiB)
 * @param maxResultBytes    result payload limit (default 1 MiB)
 * @param claimPollInterval how often a waiting claim looks again when no wake-up arrives (default 2 s)
 * @param notifyLeaseEvents whether units that write lease events notify the lease channel
 * @param hub               the engine's notification hub; {@code null} when it has no listener connection, in which
 *                          case waiters only poll
 * @param groupCommitInFlight statements of one grouped operation (create, complete) at once before further calls
 *                          queue and share statements (see {@link io.flowfabric.postgres.sql.GroupCommit})
 */
public record ExecutionSettings(Database database, SqlTemplate sql, Channels channels, String instanceTagKey,
                                int maxInputBytes, int maxResultBytes, Duration claimPollInterval,
                                boolean notifyLeaseEvents, @Nullable NotificationHub hub, int groupCommitInFlight) {
}
