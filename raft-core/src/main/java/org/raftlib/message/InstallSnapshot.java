package org.raftlib.message;

import java.util.Objects;
import org.raftlib.Bytes;
import org.raftlib.NodeId;

/**
 * Raft §7: one chunk of a snapshot a leader sends to a follower that lags behind its log.
 *
 * @param from the leader
 * @param to the follower
 * @param term the leader's term; at least 1
 * @param lastIncludedIndex the snapshot replaces all entries up to and including this index; at least 1
 * @param lastIncludedTerm term of that entry; at least 1 and at most {@code term}
 * @param offset byte offset of this chunk in the snapshot
 * @param data the chunk
 * @param done whether this is the last chunk
 */
public record InstallSnapshot(
        NodeId from,
        NodeId to,
        long term,
        long lastIncludedIndex,
        long lastIncludedTerm,
        long offset,
        Bytes data,
        boolean done) implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint or {@code data} is null
     * @throws IllegalArgumentException if a field is out of range, or {@code offset} plus the chunk's length
     *     overflows
     */
    public InstallSnapshot {
        Checks.endpoints(from, to);
        Objects.requireNonNull(data, "data");
        Checks.nonNegative(offset, "offset");
        if (offset > Long.MAX_VALUE - data.length()) {
            throw new IllegalArgumentException("offset " + offset + " plus the chunk's " + data.length()
                    + " bytes is past the largest snapshot offset");
        }
        if (term < 1 || lastIncludedIndex < 1 || lastIncludedTerm < 1 || lastIncludedTerm > term) {
            throw new IllegalArgumentException("term " + term + ", lastIncludedIndex " + lastIncludedIndex
                    + " and lastIncludedTerm " + lastIncludedTerm + " must be at least 1, lastIncludedTerm <= term");
        }
    }

    @Override
    public MessageType type() {
        return MessageType.INSTALL_SNAPSHOT;
    }
}
