package org.raftlib.internal.core.quorum;

import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.raftlib.NodeId;

/**
 * Two majority configs that must both agree, as during a joint-consensus membership change (Raft §6). With an
 * empty {@code outgoing} config it behaves exactly like {@code incoming}. Immutable; pure functions.
 *
 * @param incoming the new configuration
 * @param outgoing the old configuration; empty when no change is in progress
 */
public record JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {

    /**
     * Checks the halves.
     *
     * @throws NullPointerException if a half is null
     */
    public JointConfig {
        Objects.requireNonNull(incoming, "incoming");
        Objects.requireNonNull(outgoing, "outgoing");
    }

    /**
     * Returns the largest index both halves have committed.
     *
     * @param acked the index each voter has acknowledged
     * @return the smaller of the two halves' committed indexes
     */
    public long committedIndex(ToLongFunction<NodeId> acked) {
        return Math.min(incoming.committedIndex(acked), outgoing.committedIndex(acked));
    }

    /**
     * Tallies votes: won only when both halves win, lost when either loses.
     *
     * @param votes granted or rejected per voter
     * @return the outcome so far
     */
    public VoteResult voteResult(Map<org.raftlib.NodeId, Boolean> votes) {
        VoteResult in = incoming.voteResult(votes);
        VoteResult out = outgoing.voteResult(votes);
        if (in == VoteResult.WON && out == VoteResult.WON) {
            return VoteResult.WON;
        }
        if (in == VoteResult.LOST || out == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    /**
     * Returns whether both halves have an active majority.
     *
     * @param active which voters count
     * @return {@code true} if both halves have an active majority
     */
    public boolean hasActiveQuorum(Predicate<NodeId> active) {
        return incoming.hasActiveQuorum(active) && outgoing.hasActiveQuorum(active);
    }
}
