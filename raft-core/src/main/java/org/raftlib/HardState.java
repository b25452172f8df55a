package org.raftlib;

import java.util.Objects;
import java.util.Optional;

/**
 * The state a node must keep on stable storage before it answers any RPC (Raft Figure 2, "Persistent state on all
 * servers"): its current term and the candidate it voted for in that term, plus a commit index that is only a
 * lower bound (it lets a restarted node apply what it already knew to be committed).
 *
 * @param term the latest term this node has seen; 0 on first boot
 * @param votedFor the candidate that received this node's vote in {@code term}, if any
 * @param commit a lower bound on the commit index known when this state was saved; 0 if unknown
 */
public record HardState(long term, Optional<NodeId> votedFor, long commit) {

    /** The state of a node that has never run: term 0, no vote, nothing known committed. */
    public static final HardState INITIAL = new HardState(0, Optional.empty(), 0);

    /**
     * Checks the state.
     *
     * @throws NullPointerException if {@code votedFor} is null
     * @throws IllegalArgumentException if {@code term} or {@code commit} is negative
     */
    public HardState {
        Objects.requireNonNull(votedFor, "votedFor");
        if (term < 0) {
            throw new IllegalArgumentException("term must not be negative: " + term);
        }
        if (commit < 0) {
            throw new IllegalArgumentException("commit must not be negative: " + commit);
        }
    }
}
