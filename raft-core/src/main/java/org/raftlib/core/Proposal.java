package org.raftlib.core;

import java.util.Optional;
import org.raftlib.NodeId;

/**
 * The outcome of {@link RaftCore#propose}: appended at ({@code index}, {@code term}), or refused.
 *
 * @param outcome what happened
 * @param index the entry's index when accepted, otherwise 0
 * @param term the entry's term when accepted, otherwise 0
 * @param leaderHint the node believed to lead, when not accepted
 */
public record Proposal(Outcome outcome, long index, long term, Optional<NodeId> leaderHint) {

    /** What happened to a proposal. */
    public enum Outcome {
        /** Appended to the leader's log; it commits once a quorum has it. */
        ACCEPTED,
        /** This node does not lead; see the hint. */
        NOT_LEADER,
        /** This node leads but is handing leadership over, so it accepts nothing new. */
        TRANSFERRING
    }

    static Proposal accepted(long index, long term) {
        return new Proposal(Outcome.ACCEPTED, index, term, Optional.empty());
    }

    static Proposal refused(Outcome outcome, Optional<NodeId> leaderHint) {
        return new Proposal(outcome, 0, 0, leaderHint);
    }

    /** Returns whether the command was appended. */
    public boolean isAccepted() {
        return outcome == Outcome.ACCEPTED;
    }
}
