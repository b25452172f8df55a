package org.raftlib.internal.core.quorum;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.raftlib.NodeId;

/** Seeded random inputs and brute-force reference answers for the quorum tests. */
final class QuorumGen {

    private QuorumGen() {
    }

    static NodeId n(int i) {
        return NodeId.of("n" + i);
    }

    /** Returns {@code size} voters drawn from n1..n9. */
    static Set<NodeId> voters(SplittableRandom random, int size) {
        Set<NodeId> out = new TreeSet<>();
        while (out.size() < size) {
            out.add(n(1 + random.nextInt(9)));
        }
        return out;
    }

    /** Acks for some of n1..n9 (absent ones count as 0), in [0, 10]. */
    static Map<NodeId, Long> acks(SplittableRandom random) {
        Map<NodeId, Long> out = new HashMap<>();
        for (int i = 1; i <= 9; i++) {
            if (random.nextInt(4) != 0) {
                out.put(n(i), (long) random.nextInt(11));
            }
        }
        return out;
    }

    /** Votes for some of n1..n9. */
    static Map<NodeId, Boolean> votes(SplittableRandom random) {
        Map<NodeId, Boolean> out = new HashMap<>();
        for (int i = 1; i <= 9; i++) {
            int r = random.nextInt(3);
            if (r > 0) {
                out.put(n(i), r == 1);
            }
        }
        return out;
    }

    /** The largest index that more than half of {@code voters} have acked: try every index, count acks. */
    static long committedIndex(Set<NodeId> voters, Map<NodeId, Long> acked) {
        if (voters.isEmpty()) {
            return Long.MAX_VALUE;
        }
        long best = 0;
        for (long candidate = 0; candidate <= 10; candidate++) {
            int count = 0;
            for (NodeId v : voters) {
                if (acked.getOrDefault(v, 0L) >= candidate) {
                    count++;
                }
            }
            if (2 * count > voters.size()) {
                best = candidate;
            }
        }
        return best;
    }

    /** The outcome by enumeration: won if the granted are a majority, lost if no completion of the missing wins. */
    static VoteResult voteResult(Set<NodeId> voters, Map<NodeId, Boolean> votes) {
        if (voters.isEmpty()) {
            return VoteResult.WON;
        }
        int granted = 0;
        int missing = 0;
        for (NodeId v : voters) {
            Boolean vote = votes.get(v);
            granted += Boolean.TRUE.equals(vote) ? 1 : 0;
            missing += vote == null ? 1 : 0;
        }
        boolean canWin = false;
        boolean canLose = false;
        for (int extra = 0; extra <= missing; extra++) {     // every way the missing voters could still answer
            boolean wins = 2 * (granted + extra) > voters.size();
            canWin |= wins;
            canLose |= !wins;
        }
        return canWin && canLose ? VoteResult.PENDING : canWin ? VoteResult.WON : VoteResult.LOST;
    }
}
