package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.Cores.n;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;

/**
 * Raft §5.3: "the follower can include the term of the conflicting entry and the first index it stores for that
 * term. With this information, the leader can decrement nextIndex to bypass all of the conflicting entries in that
 * term; one AppendEntries RPC will be required for each term with conflicting entries". Over seeded random
 * divergent logs, the follower is repaired with at most one rejection per conflicting term (either log's) + 2.
 */
class DivergentLogRepairTest {

    private static final long SEED = 2026;

    @Test
    void divergentSuffixIsRepairedInFewRoundTrips() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int run = 0; run < 200; run++) {
            long[] prefix = terms(random, 1, 1 + random.nextInt(5), 1);
            long base = prefix[prefix.length - 1];
            long[] followerSuffix = terms(random, base + 1, random.nextInt(60), 2);
            long[] leaderSuffix = terms(random, base + 2, 1 + random.nextInt(30), 2);
            if (followerSuffix.length > 0 && followerSuffix[followerSuffix.length - 1] > leaderSuffix[0]) {
                continue;   // keep the leader's log the more up to date
            }
            int rejections = repair(concat(prefix, leaderSuffix), concat(prefix, followerSuffix));
            int conflictingTerms = distinct(followerSuffix) + distinct(leaderSuffix);
            assertThat(rejections)
                    .as("seed %d run %d prefix=%d follower=%d leader=%d", SEED, run, prefix.length,
                            followerSuffix.length, leaderSuffix.length)
                    .isLessThanOrEqualTo(conflictingTerms + 2);
        }
    }

    /** Elects n1 over n2 and replicates until quiet; returns the rejections n1 received. */
    private static int repair(long[] leaderTerms, long[] followerTerms) {
        long leaderLast = leaderTerms[leaderTerms.length - 1];
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        nodes.put(n(1), TestNode.start(Cores.config(1, 2), Cores.entries(leaderTerms),
                new HardState(leaderLast, Optional.empty(), 0)));
        nodes.put(n(2), TestNode.start(Cores.config(2, 2), Cores.entries(followerTerms),
                new HardState(leaderLast, Optional.empty(), 0)));
        nodes.get(n(1)).core().campaign();
        int rejections = ReplicationRulesTest.deliverAll(nodes);
        assertThat(nodes.get(n(1)).core().status().role()).isEqualTo(RaftRole.LEADER);
        List<LogEntry> leaderLog = nodes.get(n(1)).log().all();
        assertThat(nodes.get(n(2)).log().all()).isEqualTo(leaderLog);
        return rejections;
    }

    /** {@code count} nondecreasing terms from {@code first}, rising by multiples of {@code step} now and then. */
    private static long[] terms(SplittableRandom random, long first, int count, int step) {
        long[] out = new long[count];
        long t = first;
        for (int i = 0; i < count; i++) {
            if (i > 0 && random.nextInt(8) == 0) {
                t += step;
            }
            out[i] = t;
        }
        return out;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = new long[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int distinct(long[] terms) {
        Set<Long> set = new HashSet<>();
        for (long t : terms) {
            set.add(t);
        }
        return set.size();
    }
}
