package org.raftlib.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;

/**
 * The simulation's membership changes (thesis chapter 4), asked of a leader at random: add a node as a learner,
 * promote a learner, remove a member, or replace several voters at once (joint consensus). Half the changes ignore
 * how far a new voter lags, so lagging voters are exercised too; the core refuses what it must (a change in flight,
 * no entry of the leader's term committed yet).
 */
final class SimMembership {

    private final SplittableRandom random;
    private long accepted;
    private long joint;

    SimMembership(SplittableRandom random) {
        this.random = random;
    }

    /** Returns {accepted changes, of which joint}. */
    long[] counts() {
        return new long[] {accepted, joint};
    }

    /** Asks {@code leader} for a random change among nodes {@code n1..n<clusterSize>}. */
    void change(RaftCore leader, int clusterSize) {
        ClusterConfig now = leader.configuration();
        List<NodeId> outside = new ArrayList<>();
        for (int i = 1; i <= clusterSize; i++) {
            if (!now.contains(NodeId.of("n" + i))) {
                outside.add(NodeId.of("n" + i));
            }
        }
        Set<NodeId> voters = new HashSet<>(now.voters());
        Set<NodeId> learners = new HashSet<>(now.learners());
        switch (random.nextInt(6)) {              // 3, 4, 5: a new voter set, usually a joint change
            case 0 -> {
                if (!outside.isEmpty()) {
                    learners.add(outside.get(random.nextInt(outside.size())));
                }
            }
            case 1 -> {
                if (!learners.isEmpty()) {
                    NodeId l = learners.stream().sorted().toList().get(random.nextInt(learners.size()));
                    learners.remove(l);
                    voters.add(l);
                }
            }
            case 2 -> {
                List<NodeId> all = new ArrayList<>(now.ids());
                NodeId gone = all.get(random.nextInt(all.size()));
                if (voters.size() > 1 || !voters.contains(gone)) {
                    voters.remove(gone);
                    learners.remove(gone);
                }
            }
            default -> {
                voters.clear();
                List<Integer> order = new ArrayList<>();
                for (int i = 1; i <= clusterSize; i++) {
                    order.add(i);
                }
                int size = 1 + random.nextInt(clusterSize);
                for (int k = 0; k < size; k++) {
                    voters.add(NodeId.of("n" + order.remove(random.nextInt(order.size()))));
                }
                learners.removeAll(voters);
            }
        }
        List<Member> members = new ArrayList<>();
        voters.forEach(v -> members.add(new Member(v, "")));
        learners.forEach(l -> members.add(new Member(l, "")));
        Proposal p = leader.proposeConfigChange(new ClusterConfig(members, voters, Set.of(), learners),
                random.nextBoolean() ? Long.MAX_VALUE / 4 : 5);
        if (p.isAccepted()) {
            accepted++;
            joint += leader.configuration().isJoint() ? 1 : 0;
        }
    }
}
