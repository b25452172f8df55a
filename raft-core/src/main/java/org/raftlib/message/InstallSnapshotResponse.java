package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Raft §7: a follower's answer to an {@link InstallSnapshot} chunk.
 *
 * @param from the follower
 * @param to the leader
 * @param term the follower's current term
 * @param lastIncludedIndex the snapshot the chunk belonged to
 * @param nextOffset the offset of the next chunk the follower expects
 * @param success whether the chunk was accepted
 */
public record InstallSnapshotResponse(
        NodeId from, NodeId to, long term, long lastIncludedIndex, long nextOffset, boolean success)
        implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if a field is negative
     */
    public InstallSnapshotResponse {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
        Checks.nonNegative(lastIncludedIndex, "lastIncludedIndex");
        Checks.nonNegative(nextOffset, "nextOffset");
    }

    @Override
    public MessageType type() {
        return MessageType.INSTALL_SNAPSHOT_RESPONSE;
    }
}
