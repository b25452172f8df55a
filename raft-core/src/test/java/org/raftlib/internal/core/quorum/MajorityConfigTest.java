package org.raftlib.internal.core.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.quorum.QuorumGen.n;

import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;

/** Raft §5.3, §5.2: majority math, by table and against a brute force over seeded random cases. */
class MajorityConfigTest {

    private static final long SEED = 7;

    @Test
    void committedIndexTable() {
        Object[][] cases = {
            {Set.of(n(1)), Map.of(n(1), 5L), 5L},
            {Set.of(n(1), n(2)), Map.of(n(1), 5L, n(2), 3L), 3L},
            {Set.of(n(1), n(2), n(3)), Map.of(n(1), 5L, n(2), 3L, n(3), 1L), 3L},
            {Set.of(n(1), n(2), n(3)), Map.of(n(1), 5L), 0L},
            {Set.of(n(1), n(2), n(3), n(4)), Map.of(n(1), 5L, n(2), 4L, n(3), 3L, n(4), 2L), 3L},
            {Set.of(n(1), n(2), n(3), n(4), n(5)), Map.of(n(1), 9L, n(2), 9L, n(3), 1L, n(4), 2L), 2L},
            {Set.of(), Map.of(), Long.MAX_VALUE},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Set<NodeId> voters = (Set<NodeId>) c[0];
            @SuppressWarnings("unchecked")
            Map<NodeId, Long> acked = (Map<NodeId, Long>) c[1];
            assertThat(new MajorityConfig(voters).committedIndex(id -> acked.getOrDefault(id, 0L)))
                    .as("voters=%s acked=%s", voters, acked)
                    .isEqualTo(c[2]);
        }
    }

    @Test
    void voteResultTable() {
        Set<NodeId> three = Set.of(n(1), n(2), n(3));
        assertThat(new MajorityConfig(three).voteResult(Map.of())).isEqualTo(VoteResult.PENDING);
        assertThat(new MajorityConfig(three).voteResult(Map.of(n(1), true))).isEqualTo(VoteResult.PENDING);
        assertThat(new MajorityConfig(three).voteResult(Map.of(n(1), true, n(2), true))).isEqualTo(VoteResult.WON);
        assertThat(new MajorityConfig(three).voteResult(Map.of(n(1), false, n(2), false))).isEqualTo(VoteResult.LOST);
        assertThat(new MajorityConfig(three).voteResult(Map.of(n(1), true, n(2), false))).isEqualTo(VoteResult.PENDING);
        assertThat(new MajorityConfig(three).voteResult(Map.of(n(4), true, n(5), true)))
                .as("non-voters ignored").isEqualTo(VoteResult.PENDING);
        Set<NodeId> four = Set.of(n(1), n(2), n(3), n(4));
        assertThat(new MajorityConfig(four).voteResult(Map.of(n(1), true, n(2), true, n(3), false)))
                .as("2 of 4 is no majority").isEqualTo(VoteResult.PENDING);
        assertThat(new MajorityConfig(four).voteResult(Map.of(n(1), false, n(2), false)))
                .isEqualTo(VoteResult.LOST);
        assertThat(new MajorityConfig(Set.of()).voteResult(Map.of())).isEqualTo(VoteResult.WON);
    }

    @Test
    void committedIndexAgreesWithBruteForce() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int run = 0; run < 20_000; run++) {
            Set<NodeId> voters = QuorumGen.voters(random, random.nextInt(8));
            Map<NodeId, Long> acked = QuorumGen.acks(random);
            assertThat(new MajorityConfig(voters).committedIndex(id -> acked.getOrDefault(id, 0L)))
                    .as("seed %d run %d voters=%s acked=%s", SEED, run, voters, acked)
                    .isEqualTo(QuorumGen.committedIndex(voters, acked));
        }
    }

    @Test
    void voteResultAgreesWithBruteForce() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int run = 0; run < 20_000; run++) {
            Set<NodeId> voters = QuorumGen.voters(random, random.nextInt(8));
            Map<NodeId, Boolean> votes = QuorumGen.votes(random);
            assertThat(new MajorityConfig(voters).voteResult(votes))
                    .as("seed %d run %d voters=%s votes=%s", SEED, run, voters, votes)
                    .isEqualTo(QuorumGen.voteResult(voters, votes));
        }
    }

    @Test
    void activeQuorumCountsOnlyVoters() {
        MajorityConfig three = new MajorityConfig(Set.of(n(1), n(2), n(3)));
        assertThat(three.hasActiveQuorum(id -> id.equals(n(1)))).isFalse();
        assertThat(three.hasActiveQuorum(id -> !id.equals(n(3)))).isTrue();
        assertThat(new MajorityConfig(Set.of()).hasActiveQuorum(id -> false)).isTrue();
    }
}
