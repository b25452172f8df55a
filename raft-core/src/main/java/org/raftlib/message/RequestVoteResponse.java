package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Raft §5.2: a voter's answer to a {@link RequestVote}.
 *
 * @param from the voter
 * @param to the candidate
 * @param term the voter's current term, or for a granted pre-vote the term of the request
 * @param voteGranted whether the vote was granted
 * @param preVote whether this answers a pre-vote
 */
public record RequestVoteResponse(NodeId from, NodeId to, long term, boolean voteGranted, boolean preVote)
        implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if {@code term} is negative
     */
    public RequestVoteResponse {
        Checks.endpoints(from, to);
        Checks.nonNegative(term, "term");
    }

    @Override
    public MessageType type() {
        return MessageType.REQUEST_VOTE_RESPONSE;
    }
}
