package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Raft thesis §6.4, follower reads: a follower asks the leader for a read index, which the leader returns once it has
 * confirmed that it still leads (a heartbeat round, or its lease when {@code lease} is set and holds). The follower
 * then serves the read once it has applied that far. Term rules do not apply to it: the leader's confirmation makes
 * the answer safe whatever the two terms are.
 *
 * @param from the follower
 * @param to the node it believes leads
 * @param term the follower's current term (for the record; not checked)
 * @param requestId the follower's id for the read, echoed in the response; at least 1
 * @param lease whether the leader may answer under its lease ({@link org.raftlib.ReadMode#LEASE})
 */
public record ReadIndexRequest(NodeId from, NodeId to, long term, long requestId, boolean lease)
        implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if {@code term} is negative or {@code requestId} less than 1
     */
    public ReadIndexRequest {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
        Checks.positive(requestId, "requestId");
    }

    @Override
    public MessageType type() {
        return MessageType.READ_INDEX_REQUEST;
    }
}
