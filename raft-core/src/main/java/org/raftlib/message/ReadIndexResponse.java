package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * The leader's answer to a {@link ReadIndexRequest}: the read index once confirmed, or a refusal (it does not lead,
 * is handing leadership over, or stopped leading before confirming).
 *
 * @param from the leader (or the node that refuses)
 * @param to the follower that asked
 * @param term the sender's current term
 * @param requestId the follower's id for the read
 * @param accepted whether the read was confirmed
 * @param readIndex when accepted, the index the follower must have applied before serving the read; otherwise 0
 */
public record ReadIndexResponse(NodeId from, NodeId to, long term, long requestId, boolean accepted, long readIndex)
        implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if {@code term} or {@code readIndex} is negative or {@code requestId} less
     *     than 1
     */
    public ReadIndexResponse {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
        Checks.positive(requestId, "requestId");
        Checks.nonNegative(readIndex, "readIndex");
    }

    @Override
    public MessageType type() {
        return MessageType.READ_INDEX_RESPONSE;
    }
}
