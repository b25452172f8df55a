package org.raftlib.message;

import java.util.Objects;
import org.raftlib.NodeId;

/**
 * The answer to a {@link ForwardProposal}: appended at ({@code index}, {@code entryTerm}), or refused. An appended
 * command is not yet committed; the follower learns its fate by applying {@code index}: the command took effect if
 * the entry there has {@code entryTerm}, and did not otherwise.
 *
 * @param from the node the proposal was forwarded to
 * @param to the follower that forwarded it
 * @param term the sender's current term
 * @param requestId the follower's id for the proposal
 * @param outcome what happened
 * @param index when appended, the entry's index; otherwise 0
 * @param entryTerm when appended, the entry's term; otherwise 0
 */
public record ForwardProposalResponse(NodeId from, NodeId to, long term, long requestId, Outcome outcome,
        long index, long entryTerm) implements RaftMessage {

    /** What the leader did with a forwarded proposal. */
    public enum Outcome {
        /** Appended at ({@code index}, {@code entryTerm}). */
        APPENDED,
        /** Not appended: the receiver does not lead, is handing leadership over, or the sender is not a member. */
        NOT_LEADER,
        /** Not appended: the leader has too many requests pending. */
        OVERLOADED,
        /**
         * Not appended: the entry is larger than the leader's {@code maxCommandBytes} (the nodes' options differ, or
         * the sender is broken); appended, it could have been too large for any AppendEntries to carry.
         */
        TOO_LARGE
    }

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if an endpoint or the outcome is null
     * @throws IllegalArgumentException if a number is negative, {@code requestId} less than 1, or an appended
     *     outcome lacks its index and term
     */
    public ForwardProposalResponse {
        Checks.endpoints(from, to);
        Objects.requireNonNull(outcome, "outcome");
        Checks.nonNegative(term, "term");
        Checks.positive(requestId, "requestId");
        Checks.nonNegative(index, "index");
        Checks.nonNegative(entryTerm, "entryTerm");
        if (outcome == Outcome.APPENDED && (index < 1 || entryTerm < 1)) {
            throw new IllegalArgumentException("an appended proposal needs an index and a term: " + index + "/"
                    + entryTerm);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.FORWARD_PROPOSAL_RESPONSE;
    }
}
