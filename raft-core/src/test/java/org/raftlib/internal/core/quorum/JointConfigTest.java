package org.raftlib.internal.core.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.quorum.QuorumGen.n;

import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;

/** Raft §6: joint consensus needs both majorities, by table and against a brute force. */
class JointConfigTest {

    private static final long SEED = 11;

    @Test
    void committedIndexIsMinimumOfHalvesTable() {
        JointConfig joint = new JointConfig(new MajorityConfig(Set.of(n(1), n(2), n(3))),
                new MajorityConfig(Set.of(n(3), n(4), n(5))));
        Map<NodeId, Long> acked = Map.of(n(1), 9L, n(2), 8L, n(3), 4L, n(4), 2L, n(5), 1L);
        assertThat(joint.committedIndex(id -> acked.getOrDefault(id, 0L))).isEqualTo(2);
        JointConfig simple = new JointConfig(new MajorityConfig(Set.of(n(1), n(2), n(3))),
                new MajorityConfig(Set.of()));
        assertThat(simple.committedIndex(id -> acked.getOrDefault(id, 0L))).isEqualTo(8);
    }

    @Test
    void voteResultNeedsBothHalvesTable() {
        JointConfig joint = new JointConfig(new MajorityConfig(Set.of(n(1), n(2), n(3))),
                new MajorityConfig(Set.of(n(3), n(4), n(5))));
        assertThat(joint.voteResult(Map.of(n(1), true, n(2), true))).isEqualTo(VoteResult.PENDING);
        assertThat(joint.voteResult(Map.of(n(1), true, n(3), true, n(4), true))).isEqualTo(VoteResult.WON);
        assertThat(joint.voteResult(Map.of(n(1), true, n(2), true, n(4), false, n(5), false)))
                .isEqualTo(VoteResult.LOST);
    }

    @Test
    void agreesWithBruteForce() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int run = 0; run < 20_000; run++) {
            Set<NodeId> in = QuorumGen.voters(random, random.nextInt(6));
            Set<NodeId> out = QuorumGen.voters(random, random.nextInt(6));
            Map<NodeId, Long> acked = QuorumGen.acks(random);
            Map<NodeId, Boolean> votes = QuorumGen.votes(random);
            JointConfig joint = new JointConfig(new MajorityConfig(in), new MajorityConfig(out));

            assertThat(joint.committedIndex(id -> acked.getOrDefault(id, 0L)))
                    .as("seed %d run %d in=%s out=%s acked=%s", SEED, run, in, out, acked)
                    .isEqualTo(Math.min(QuorumGen.committedIndex(in, acked), QuorumGen.committedIndex(out, acked)));
            assertThat(joint.voteResult(votes))
                    .as("seed %d run %d in=%s out=%s votes=%s", SEED, run, in, out, votes)
                    .isEqualTo(jointByEnumeration(in, out, votes));
        }
    }

    /** Won only if both halves won; lost if either lost; pending otherwise. */
    private static VoteResult jointByEnumeration(Set<NodeId> in, Set<NodeId> out, Map<NodeId, Boolean> votes) {
        VoteResult a = QuorumGen.voteResult(in, votes);
        VoteResult b = QuorumGen.voteResult(out, votes);
        if (a == VoteResult.LOST || b == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        return a == VoteResult.WON && b == VoteResult.WON ? VoteResult.WON : VoteResult.PENDING;
    }
}
