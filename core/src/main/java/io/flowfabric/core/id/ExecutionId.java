package io.flowfabric.core.id;

import io.flowfabric.core.error.ValidationException;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identifies an execution: its partition key and a UUID (spec 01 §1).
 *
 * <p>The text form is {@code {fp:N}:<uuid>} where N is the partition key, decimal 0..255 without leading zeros, and
 * the UUID is hyphenated; it is accepted in any case and emitted in lower case. The partition key of an execution is
 * always the N in its id: standalone executions use the partition of their own UUID, flow members the partition of
 * the flow's UUID.
 *
 * @param partition the partition key, 0..255
 * @param uuid      the UUID
 * @since 0.1
 */
public record ExecutionId(int partition, UUID uuid) {

    private static final Pattern TEXT = Pattern.compile("\\{fp:(0|[1-9][0-9]{0,2})}:(" + Uuids.CANONICAL + ")");

    /**
     * Creates the id; the partition is only range-checked.
     *
     * @param partition the partition key, 0..255
     * @param uuid      the UUID
     * @throws ValidationException {@code INVALID_ID} when the partition is outside 0..255
     */
    public ExecutionId {
        Objects.requireNonNull(uuid, "uuid");
        if (partition < 0 || partition >= Partitions.LOGICAL) {
            throw new ValidationException(ValidationException.Kind.INVALID_ID,
                    "execution id partition must be 0..255");
        }
    }

    /**
     * Builds a deterministic id; N is checked to be in range only.
     *
     * @param partition the partition key, 0..255
     * @param uuid      the UUID
     * @return the id
     * @throws ValidationException {@code INVALID_ID} when the partition is outside 0..255
     */
    public static ExecutionId of(int partition, UUID uuid) {
        return new ExecutionId(partition, uuid);
    }

    /**
     * Mints the id of a standalone execution: a random UUID in the partition of that UUID.
     *
     * @return a fresh id
     */
    public static ExecutionId standalone() {
        UUID uuid = UUID.randomUUID();
        return new ExecutionId(Partitions.ofUuid(uuid), uuid);
    }

    /**
     * Mints the id of a member of the given flow: a random UUID in the flow's partition. Every flow member must be
     * minted this way.
     *
     * @param flowId the flow
     * @return a fresh id
     */
    public static ExecutionId forFlow(FlowId flowId) {
        Objects.requireNonNull(flowId, "flowId");
        return new ExecutionId(flowId.partition(), UUID.randomUUID());
    }

    /**
     * Parses {@code {fp:N}:<uuid>}.
     *
     * @param text the text
     * @return the id
     * @throws ValidationException {@code INVALID_ID} for anything but the exact form with N in 0..255
     */
    public static ExecutionId parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            throw new ValidationException(ValidationException.Kind.INVALID_ID,
                    "execution id must be {fp:N}:<uuid> with N in 0..255 without leading zeros");
        }
        return new ExecutionId(Integer.parseInt(m.group(1)), UUID.fromString(m.group(2)));
    }

    /**
     * The partition-key label of this execution for list APIs.
     *
     * @return {@code {fp:N}}
     */
    public String partitionLabel() {
        return Partitions.label(Partitions.Family.EXECUTION, partition);
    }

    /** @return {@code {fp:N}:<lower-case uuid>} */
    @Override
    public String toString() {
        return partitionLabel() + ":" + uuid;
    }
}
