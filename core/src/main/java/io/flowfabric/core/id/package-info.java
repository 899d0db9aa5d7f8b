/**
 * Identifiers and partitioning (spec 01 §1–§2): the execution id with its partition key, the UUID-valued ids of the
 * other entities, the random lease id, and the partition functions (CRC-16/XMODEM and FNV-1a) that place every row
 * in one of the 256 logical partitions. All ids are immutable values; their text forms are canonical and lower case.
 */
@NullMarked
package io.flowfabric.core.id;

import org.jspecify.annotations.NullMarked;
