package io.flowfabric.postgres.notify;

/** Why a waiter was woken. None carries data: the tables are the truth, a wake only says "read again". */
public enum Wake {
    /** The channel is being listened on (or the hub is down and the waiter must rely on polling): read now. */
    ARMED,
    /** A NOTIFY arrived on the channel. */
    NOTIFIED,
    /** The listener reconnected; anything notified while it was down was lost: read again. */
    RECONNECTED
}
