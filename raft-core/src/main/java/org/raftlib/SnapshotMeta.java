package org.raftlib;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a snapshot covers: the state after applying the log up to {@code index} (whose entry has {@code term}), with
 * the cluster configuration in force at that index. Stored with the snapshot, atomically with its state.
 *
 * @param index the last log index the snapshot covers; at least 1
 * @param term the term of that entry; at least 1
 * @param config the cluster configuration at {@code index} (members, voters, learners, addresses)
 * @param sizeBytes the size of the state machine's part, in bytes; 0 before it is known
 * @param createdMillis when the snapshot was completed, in milliseconds since the epoch (informational)
 */
public record SnapshotMeta(long index, long term, ClusterConfig config, long sizeBytes, long createdMillis) {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if {@code config} is null
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1, or {@code sizeBytes} negative
     */
    public SnapshotMeta {
        Objects.requireNonNull(config, "config");
        if (index < 1 || term < 1 || sizeBytes < 0) {
            throw new IllegalArgumentException("index " + index + " and term " + term + " must be at least 1, size "
                    + sizeBytes + " not negative");
        }
    }

    /** Returns a copy with the size and completion time filled in. */
    public SnapshotMeta completed(long size, long millis) {
        return new SnapshotMeta(index, term, config, size, millis);
    }

    /** Returns the voters of the configuration at {@code index} (both halves while a joint change is in progress). */
    public Set<NodeId> voters() {
        Set<NodeId> all = new TreeSet<>(config.voters());
        all.addAll(config.outgoingVoters());
        return all;
    }
}
