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
 * @param configIndex the log index of the entry that holds {@code config}; 0 for the configuration the cluster was
 *     bootstrapped with; {@code index} for a snapshot written by a release that did not record it
 * @param sizeBytes the size of the state machine's part, in bytes; 0 before it is known
 * @param createdMillis when the snapshot was completed, in milliseconds since the epoch (informational)
 */
public record SnapshotMeta(long index, long term, ClusterConfig config, long configIndex, long sizeBytes,
        long createdMillis) {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if {@code config} is null
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1, {@code sizeBytes} negative, or
     *     {@code configIndex} negative or above {@code index}
     */
    public SnapshotMeta {
        Objects.requireNonNull(config, "config");
        if (index < 1 || term < 1 || sizeBytes < 0) {
            throw new IllegalArgumentException("index " + index + " and term " + term + " must be at least 1, size "
                    + sizeBytes + " not negative");
        }
        if (configIndex < 0 || configIndex > index) {
            throw new IllegalArgumentException("the configuration's index " + configIndex + " must be within [0, "
                    + index + "]");
        }
    }

    /**
     * A snapshot whose configuration's index was not recorded (one stored by an earlier release): it is taken to be
     * the snapshot's own {@code index}.
     *
     * @param index the last log index the snapshot covers; at least 1
     * @param term the term of that entry; at least 1
     * @param config the cluster configuration at {@code index}
     * @param sizeBytes the size of the state machine's part, in bytes
     * @param createdMillis when the snapshot was completed, in milliseconds since the epoch
     * @throws NullPointerException if {@code config} is null
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1, or {@code sizeBytes} negative
     */
    public SnapshotMeta(long index, long term, ClusterConfig config, long sizeBytes, long createdMillis) {
        this(index, term, config, index, sizeBytes, createdMillis);
    }

    /** Returns a copy with the size and completion time filled in. */
    public SnapshotMeta completed(long size, long millis) {
        return new SnapshotMeta(index, term, config, configIndex, size, millis);
    }

    /** Returns the voters of the configuration at {@code index} (both halves while a joint change is in progress). */
    public Set<NodeId> voters() {
        Set<NodeId> all = new TreeSet<>(config.voters());
        all.addAll(config.outgoingVoters());
        return all;
    }
}
