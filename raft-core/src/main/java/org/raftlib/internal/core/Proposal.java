package org.raftlib.internal.core;

import java.util.Optional;
import org.raftlib.NodeId;

/**
 * The outcome of {@link RaftCore#propose}: appended at ({@code index}, {@code term}), or refused. Also the outcome of
 * {@link RaftCore#readIndex}: registered with read index {@code index} by the leader of {@code term}, or refused.
 *
 * @param outcome what happened
 * @param index when accepted, the entry's index (a proposal) or the read index (a read); otherwise 0
 * @param term when accepted, the entry's term (a proposal) or the leader's term (a read); otherwise 0
 * @param leaderHint the node believed to lead, when not accepted; for TRANSFERRING, the transfer's target
 */
public record Proposal(Outcome outcome, long index, long term, Optional<NodeId> leaderHint) {

    /** What happened to a proposal. */
    public enum Outcome {
        /** Appended to the leader's log; it commits once a quorum has it. For a read: registered, not yet confirmed. */
        ACCEPTED,
        /**
         * A read only: forwarded to the leader in the hint; confirmed or aborted later like an accepted one, with the
         * read index the leader returns (index and term are 0 here).
         */
        FORWARDED,
        /** This node does not lead; see the hint. */
        NOT_LEADER,
        /** This node leads but is handing leadership over, so it accepts nothing new. */
        TRANSFERRING,
        /**
         * A membership change cannot start now: another is in progress, or this leader has not yet committed an entry
         * of its term (thesis §4.1 and the single-server change fix of 2015).
         */
        CHANGE_IN_PROGRESS,
        /** A membership change would make a member vote that has not caught up with the leader's log. */
        NOT_CAUGHT_UP,
        /**
         * A membership change would make a configuration without a majority of voters this leader heard from in the
         * last election timeout: commits would stop the moment it is appended.
         */
        NO_LIVE_QUORUM
    }

    static Proposal accepted(long index, long term) {
        return new Proposal(Outcome.ACCEPTED, index, term, Optional.empty());
    }

    static Proposal refused(Outcome outcome, Optional<NodeId> leaderHint) {
        return new Proposal(outcome, 0, 0, leaderHint);
    }

    static Proposal forwarded(NodeId leader) {
        return new Proposal(Outcome.FORWARDED, 0, 0, Optional.of(leader));
    }

    /** Returns whether the command was appended, or the read registered here or with the leader. */
    public boolean isAccepted() {
        return outcome == Outcome.ACCEPTED || outcome == Outcome.FORWARDED;
    }
}
