package org.raftlib.internal.core.quorum;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.raftlib.NodeId;

/**
 * A set of voters that decides by simple majority. Immutable; every method is a pure function.
 *
 * @param voters the voting members
 */
public record MajorityConfig(Set<NodeId> voters) {

    /**
     * Copies the voters.
     *
     * @throws NullPointerException if {@code voters} or an element is null
     */
    public MajorityConfig {
        voters = Set.copyOf(voters);
    }

    /** Returns how many voters make a majority; 0 for an empty config. */
    public int quorum() {
        return voters.isEmpty() ? 0 : voters.size() / 2 + 1;
    }

    /**
     * Returns the largest log index acknowledged by a majority. Voters missing from {@code acked} count as 0. An
     * empty config returns {@link Long#MAX_VALUE}, so it never limits a joint config.
     *
     * @param acked the index each voter has acknowledged
     * @return the index a majority has reached
     */
    public long committedIndex(ToLongFunction<NodeId> acked) {
        int n = voters.size();
        if (n == 0) {
            return Long.MAX_VALUE;
        }
        long[] indexes = new long[n];
        int i = 0;
        for (NodeId voter : voters) {
            indexes[i++] = acked.applyAsLong(voter);
        }
        Arrays.sort(indexes);
        return indexes[n - quorum()];
    }

    /**
     * Tallies {@code votes}; voters absent from the map have not answered. Votes from non-voters are ignored. An
     * empty config has always {@link VoteResult#WON}, so it never blocks a joint config.
     *
     * @param votes granted ({@code true}) or rejected ({@code false}) per voter
     * @return the outcome so far
     */
    public VoteResult voteResult(Map<NodeId, Boolean> votes) {
        if (voters.isEmpty()) {
            return VoteResult.WON;
        }
        int granted = 0;
        int missing = 0;
        for (NodeId voter : voters) {
            Boolean vote = votes.get(voter);
            if (vote == null) {
                missing++;
            } else if (vote) {
                granted++;
            }
        }
        int q = quorum();
        if (granted >= q) {
            return VoteResult.WON;
        }
        return granted + missing >= q ? VoteResult.PENDING : VoteResult.LOST;
    }

    /**
     * Returns whether the voters for which {@code active} holds form a majority.
     *
     * @param active which voters count
     * @return {@code true} if a majority is active; always for an empty config
     */
    public boolean hasActiveQuorum(Predicate<NodeId> active) {
        return voters.stream().filter(active).count() >= quorum();
    }
}
