package org.raftlib.internal.core;

import java.util.Objects;
import org.raftlib.NodeId;

/**
 * A snapshot's position in the log: it covers everything up to {@code index}, whose entry has {@code term}.
 *
 * @param index the last index covered; at least 1
 * @param term the term of that entry; at least 1
 */
public record SnapshotPoint(long index, long term) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException if {@code index} or {@code term} is below 1
     */
    public SnapshotPoint {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("index and term must be at least 1: " + index + ", " + term);
        }
    }

    /**
     * A request to the runtime to stream the snapshot at {@code point} to {@code to} (Raft §7); the runtime reports
     * the outcome with {@link RaftCore#onSnapshotSent}.
     *
     * @param to the follower
     * @param point the snapshot
     */
    public record Send(NodeId to, SnapshotPoint point) {

        /**
         * Checks the fields.
         *
         * @throws NullPointerException if an argument is null
         */
        public Send {
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(point, "point");
        }
    }
}
