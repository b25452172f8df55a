package org.raftlib.message;

import org.raftlib.NodeId;

/**
 * Raft §5.2: a candidate asks for a vote in {@code term}. With {@code preVote} set (thesis §9.6) it only asks whether
 * the vote would be granted, and no one changes term or vote on its account.
 *
 * @param from the candidate
 * @param to the voter
 * @param term the candidate's term (for a pre-vote, the term it would campaign in); at least 1
 * @param lastLogIndex index of the candidate's last log entry
 * @param lastLogTerm term of the candidate's last log entry
 * @param preVote whether this is a pre-vote
 * @param leadershipTransfer whether a leader asked for this election (thesis §3.10), so voters need not wait for
 *     their leader's lease to expire
 */
public record RequestVote(
        NodeId from,
        NodeId to,
        long term,
        long lastLogIndex,
        long lastLogTerm,
        boolean preVote,
        boolean leadershipTransfer) implements RaftMessage {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if a field is out of range or {@code lastLogTerm > term}
     */
    public RequestVote {
        Checks.endpoints(from, to);
        Checks.nonNegative(lastLogIndex, "lastLogIndex");
        Checks.nonNegative(lastLogTerm, "lastLogTerm");
        if (term < 1) {
            throw new IllegalArgumentException("term must be at least 1: " + term);
        }
        if (lastLogTerm > term) {
            throw new IllegalArgumentException("lastLogTerm " + lastLogTerm + " is after term " + term);
        }
        if ((lastLogIndex == 0) != (lastLogTerm == 0)) {
            throw new IllegalArgumentException("lastLogIndex " + lastLogIndex + " and lastLogTerm " + lastLogTerm
                    + " must both be 0 or both positive");
        }
    }

    @Override
    public MessageType type() {
        return MessageType.REQUEST_VOTE;
    }
}
