package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.raftlib.internal.core.Cores.ELECTION;
import static org.raftlib.internal.core.Cores.n;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.Proposal.Outcome;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.slf4j.helpers.NOPLogger;

/**
 * Membership changes, Raft thesis chapter 4: a configuration takes effect when appended and is rolled back when
 * truncated; learners never vote or count; joint consensus needs both majorities; a removed leader steps down; at most
 * one change in flight, and none before the leader committed an entry of its term (the 2015 single-server bug).
 */
class MembershipRulesTest {

    private static final long NO_LAG = 0;

    private final Map<NodeId, TestNode> nodes = new TreeMap<>();
    private final Set<NodeId> cut = new HashSet<>();
    /** Messages lost on the way besides those over cut links. */
    private Predicate<RaftMessage> lost = m -> false;

    private TestNode add(int id, Set<NodeId> bootstrap, boolean safeguards) {
        CoreConfig c = new CoreConfig(n(id), bootstrap, ELECTION, 1, safeguards, safeguards, 0,
                CoreConfig.FlowControl.DEFAULT, new SplittableRandom(id), NOPLogger.NOP_LOGGER);
        TestNode node = TestNode.start(c, List.of(), HardState.INITIAL);
        nodes.put(n(id), node);
        return node;
    }

    /** n1..n{size} bootstrap a cluster; n1 leads it with its no-op committed. */
    private TestNode cluster(int size, boolean safeguards) {
        for (int i = 1; i <= size; i++) {
            add(i, Cores.cluster(size), safeguards);
        }
        TestNode leader = nodes.get(n(1));
        leader.core().campaign();
        settle();
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.LEADER);
        return leader;
    }

    /** Runs every node's Ready and delivers every message (except over cut links) until nothing moves. */
    private void settle() {
        for (int round = 0; round < 1_000; round++) {
            ArrayDeque<RaftMessage> out = new ArrayDeque<>();
            for (TestNode node : nodes.values()) {
                while (node.core().hasReady()) {
                    Ready rd = node.handle();
                    out.addAll(rd.messages());
                    out.addAll(rd.afterSync());
                }
            }
            if (out.isEmpty()) {
                return;
            }
            for (RaftMessage m : out) {
                if (!cut.contains(m.from()) && !cut.contains(m.to()) && nodes.containsKey(m.to()) && !lost.test(m)) {
                    nodes.get(m.to()).core().step(m);
                }
            }
        }
        throw new IllegalStateException("did not settle");
    }

    private void tickAll(int ticks) {
        for (int t = 0; t < ticks; t++) {
            nodes.values().forEach(x -> x.core().tick());
            settle();
        }
    }

    private static List<Member> members(int... ids) {
        List<Member> out = new ArrayList<>();
        for (int i : ids) {
            out.add(new Member(n(i), ""));
        }
        return out;
    }

    private static Set<NodeId> ids(int... ids) {
        Set<NodeId> out = new HashSet<>();
        for (int i : ids) {
            out.add(n(i));
        }
        return out;
    }

    private void propose(TestNode leader, int commands) {
        for (int i = 0; i < commands; i++) {
            assertThat(leader.core().propose(Bytes.wrap(new byte[] {(byte) i})).isAccepted()).isTrue();
        }
        settle();
    }

    /**
     * A configuration entry that does not decode is refused with the message that carries it: appended, it failed
     * the follower (a hostile peer stopped a whole cluster with three messages; a newer encoding would do the same).
     */
    @Test
    void anAppendEntriesCarryingAMalformedConfigurationIsRefusedAtTheBoundary() {
        byte[] good = ClusterConfig.ofVoters(List.of(Member.of("n1", "a:1"))).encode();
        LogEntry valid = new LogEntry(2, 2, EntryType.CONFIGURATION, Bytes.wrap(good));
        assertThat(new AppendEntries(n(1), n(2), 2, 1, 1, List.of(valid), 1).entries()).containsExactly(valid);
        for (byte[] bad : List.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, new byte[] {99}, new byte[0],
                Arrays.copyOf(good, good.length - 1))) {
            LogEntry malformed = new LogEntry(2, 2, EntryType.CONFIGURATION, Bytes.wrap(bad));
            assertThatThrownBy(() -> new AppendEntries(n(1), n(2), 2, 1, 1, List.of(malformed), 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("entry 2 is a malformed configuration");
        }
        byte[] noVoters = ClusterConfig.of(List.of(), List.of(Member.of("n1", "a:1"))).encode();
        LogEntry decodable = new LogEntry(2, 2, EntryType.CONFIGURATION, Bytes.wrap(noVoters));
        assertThatThrownBy(() -> new AppendEntries(n(1), n(2), 2, 1, 1, List.of(decodable), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry 2 is a configuration without voters");
    }

    @Test
    void learnerReceivesTheLogButNeverVotesNorCountsTowardsCommit() {
        TestNode leader = cluster(3, false);
        TestNode learner = add(4, Set.of(), false);
        assertThat(leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG)
                .outcome()).isEqualTo(Outcome.ACCEPTED);
        settle();
        propose(leader, 3);
        tickAll(1);                                          // a heartbeat carries the commit index
        assertThat(learner.core().configuration().learners()).containsExactly(n(4));
        assertThat(learner.core().status().commitIndex()).isEqualTo(leader.core().status().commitIndex());

        cut.addAll(ids(2, 3));
        long commit = leader.core().status().commitIndex();
        propose(leader, 1);
        assertThat(learner.core().status().lastIndex()).isEqualTo(commit + 1);
        assertThat(leader.core().status().commitIndex()).as("a learner's ack is no quorum").isEqualTo(commit);

        cut.clear();
        cut.add(n(1));
        tickAll(5 * ELECTION);
        assertThat(learner.core().currentRole()).as("a learner never campaigns").isEqualTo(RaftRole.FOLLOWER);
    }

    /**
     * A learner cut off from every voter stops naming the leader after an election timeout (it named it forever, so
     * its health read ready and its requests were forwarded into the void), and follows one again once reached.
     */
    @Test
    void aLearnerThatNoLongerHearsFromTheLeaderNamesNone() {
        TestNode leader = cluster(3, false);
        TestNode learner = add(4, Set.of(), false);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG);
        settle();
        tickAll(1);
        assertThat(learner.core().currentLeader()).contains(n(1));

        cut.addAll(ids(1, 2, 3));
        tickAll(2 * ELECTION);
        assertThat(learner.core().currentLeader()).as("after its election timeout (randomized: at most two)")
                .isEmpty();
        assertThat(learner.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);

        cut.clear();
        tickAll(3 * ELECTION);
        assertThat(learner.core().currentLeader()).isPresent();
    }

    @Test
    void aLearnerBecomesAVoterOnlyOnceCaughtUp() {
        TestNode leader = cluster(3, false);
        add(4, Set.of(), false);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG);
        settle();
        cut.add(n(4));
        propose(leader, 5);
        ClusterConfig promoted = ClusterConfig.ofVoters(members(1, 2, 3, 4));
        assertThat(leader.core().proposeConfigChange(promoted, 2).outcome()).isEqualTo(Outcome.NOT_CAUGHT_UP);
        cut.clear();
        tickAll(3);                                          // heartbeats find the lost appends, n4 catches up
        assertThat(leader.core().proposeConfigChange(promoted, 2).outcome()).isEqualTo(Outcome.ACCEPTED);
        settle();
        assertThat(nodes.get(n(4)).core().configuration().voters()).isEqualTo(ids(1, 2, 3, 4));
    }

    /**
     * Thesis §4.2.1: a new voter must be less than an election timeout behind, whatever the entry count. n4 answers
     * every heartbeat but none of the appends reaches it, so it stays 3 entries behind (well within the bound of 100
     * entries) for an election timeout: refused; once it has what the leader held an election timeout ago, accepted,
     * although the leader appended more since.
     */
    @Test
    void aLearnerBecomesAVoterOnlyWhenLessThanAnElectionTimeoutBehind() {
        TestNode leader = cluster(3, false);
        add(4, Set.of(), false);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG);
        settle();
        lost = m -> m.to().equals(n(4)) && m instanceof AppendEntries a && !a.entries().isEmpty();
        propose(leader, 3);
        tickAll(ELECTION + 1);
        ClusterConfig promoted = ClusterConfig.ofVoters(members(1, 2, 3, 4));
        assertThat(leader.core().proposeConfigChange(promoted, 100).outcome()).isEqualTo(Outcome.NOT_CAUGHT_UP);

        lost = m -> false;
        tickAll(1);                                          // a heartbeat finds the lost appends, n4 catches up
        assertThat(leader.core().tracker().progress(n(4)).matchIndex()).isEqualTo(leader.core().log().lastIndex());
        lost = m -> m.to().equals(n(4)) && m instanceof AppendEntries a && !a.entries().isEmpty();
        propose(leader, 3);
        assertThat(leader.core().proposeConfigChange(promoted, 100).outcome()).isEqualTo(Outcome.ACCEPTED);
        lost = m -> false;
        tickAll(1);
        assertThat(nodes.get(n(4)).core().configuration().voters()).isEqualTo(ids(1, 2, 3, 4));
    }

    @Test
    void jointChangeCommitsOnlyWithBothMajoritiesAndIsLeftAutomatically() {
        TestNode leader = cluster(3, false);
        add(4, Set.of(), false);
        add(5, Set.of(), false);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4, 5)), NO_LAG);
        settle();
        cut.addAll(ids(2, 3));
        Proposal p = leader.core().proposeConfigChange(ClusterConfig.ofVoters(members(1, 4, 5)), NO_LAG);
        assertThat(p.outcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(leader.core().configuration().isJoint()).as("in force once appended").isTrue();
        settle();
        assertThat(leader.core().status().commitIndex()).as("new majority {1,4,5} alone").isLessThan(p.index());

        cut.clear();
        tickAll(3);
        ClusterConfig c = leader.core().configuration();
        assertThat(c.isJoint()).isFalse();
        assertThat(c.voters()).isEqualTo(ids(1, 4, 5));
        assertThat(leader.core().configurationIndex()).isGreaterThan(p.index())
                .isLessThanOrEqualTo(leader.core().status().commitIndex());
        for (int i = 1; i <= 5; i++) {
            assertThat(nodes.get(n(i)).core().configuration()).isEqualTo(c);
        }
        assertThat(leader.core().status().peers()).as("removed members are no longer replicated to")
                .containsOnlyKeys(n(4), n(5));
    }

    @Test
    void removedLeaderStepsDownOnceCommittedAndAnotherVoterTakesOverAtOnce() {
        TestNode leader = cluster(3, true);
        assertThat(leader.core().proposeConfigChange(ClusterConfig.ofVoters(members(2, 3)), NO_LAG).outcome())
                .isEqualTo(Outcome.ACCEPTED);
        assertThat(leader.core().currentRole()).as("leads until C_new commits").isEqualTo(RaftRole.LEADER);
        settle();
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        long leaders = nodes.values().stream().filter(x -> x.core().currentRole() == RaftRole.LEADER).count();
        assertThat(leaders).as("TimeoutNow elected a voter without waiting for a timeout").isEqualTo(1);
        tickAll(5 * ELECTION);
        assertThat(leader.core().currentRole()).as("a removed node never campaigns").isEqualTo(RaftRole.FOLLOWER);
        assertThat(leader.core().configuration().isVoter(n(1))).isFalse();
    }

    @Test
    void removedNodeThatMissedItsRemovalCannotDisruptTheCluster() {
        TestNode leader = cluster(3, true);
        cut.add(n(3));
        leader.core().proposeConfigChange(ClusterConfig.ofVoters(members(1, 2)), NO_LAG);
        settle();
        assertThat(leader.core().configuration().voters()).isEqualTo(ids(1, 2));
        long term = leader.core().currentTerm();
        cut.clear();
        tickAll(6 * ELECTION);
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.LEADER);
        assertThat(leader.core().currentTerm()).as("PreVote and CheckQuorum hold the term").isEqualTo(term);
    }

    @Test
    void aTruncatedChangeIsRolledBack() {
        TestNode old = cluster(3, false);
        cut.add(n(1));
        old.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(9)), NO_LAG);
        settle();
        assertThat(old.core().configuration().learners()).as("in force once appended").containsExactly(n(9));

        nodes.get(n(2)).core().campaign();
        settle();
        TestNode leader = nodes.get(n(2));
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.LEADER);
        propose(leader, 2);
        cut.clear();
        tickAll(2);
        assertThat(old.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(old.core().configuration().learners()).as("rolled back with its entry").isEmpty();
        assertThat(old.core().configuration().voters()).isEqualTo(ids(1, 2, 3));
    }

    @Test
    void aLeaderStartsNoChangeBeforeCommittingAnEntryOfItsTermNorWhileAnotherIsInFlight() {
        for (int i = 1; i <= 3; i++) {
            add(i, Cores.cluster(3), false);
        }
        TestNode leader = nodes.get(n(1));
        leader.core().campaign();
        cut.addAll(ids(2, 3));
        leader.handle();
        for (int i = 2; i <= 3; i++) {
            leader.core().step(new org.raftlib.message.RequestVoteResponse(n(i), n(1), 1, true, false));
        }
        leader.handle();
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.LEADER);
        ClusterConfig addLearner = ClusterConfig.of(members(1, 2, 3), members(4));
        assertThat(leader.core().proposeConfigChange(addLearner, NO_LAG).outcome())
                .as("no-op of its term not committed yet (raft-dev 2015)").isEqualTo(Outcome.CHANGE_IN_PROGRESS);

        cut.clear();
        tickAll(1);
        assertThat(leader.core().proposeConfigChange(addLearner, NO_LAG).outcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(leader.core().proposeConfigChange(ClusterConfig.ofVoters(members(1, 2)), NO_LAG).outcome())
                .as("the first change is not committed").isEqualTo(Outcome.CHANGE_IN_PROGRESS);
    }

    @Test
    void aRestartedNodeFindsItsConfigurationInItsLog() {
        TestNode leader = cluster(3, false);
        add(4, Set.of(), false);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG);
        settle();
        ClusterConfig before = leader.core().configuration();
        for (TestNode node : nodes.values()) {
            node.restart();
            assertThat(node.core().configuration()).as(node.id().toString()).isEqualTo(before);
        }
    }

    @Test
    void aLeaderDemotedToLearnerThroughAJointChangeStepsDownAndStaysALearner() {
        TestNode leader = cluster(3, true);
        add(4, Set.of(), true);
        leader.core().proposeConfigChange(ClusterConfig.of(members(1, 2, 3), members(4)), NO_LAG);
        settle();
        propose(leader, 2);
        Proposal p = leader.core().proposeConfigChange(ClusterConfig.of(members(2, 3, 4), members(1)), NO_LAG);
        assertThat(p.outcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(leader.core().configuration().isJoint()).isTrue();
        tickAll(3);
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        TestNode next = nodes.values().stream().filter(x -> x.core().currentRole() == RaftRole.LEADER).findFirst()
                .orElseThrow();
        assertThat(next.core().configuration().learners()).containsExactly(n(1));
        propose(next, 3);
        tickAll(2);
        assertThat(leader.core().status().commitIndex()).as("a learner still receives the log")
                .isEqualTo(next.core().status().commitIndex());
        tickAll(5 * ELECTION);
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
    }

    @Test
    void aRemovedLeaderWithATransferInFlightSendsOneTimeoutNow() {
        TestNode leader = cluster(5, true);
        assertThat(leader.core().proposeConfigChange(ClusterConfig.ofVoters(members(2, 3, 4, 5)), NO_LAG).outcome())
                .isEqualTo(Outcome.ACCEPTED);
        leader.core().transferLeadership(n(5));
        List<RaftMessage> out = new ArrayList<>();
        while (leader.core().hasReady()) {
            Ready rd = leader.handle();
            out.addAll(rd.messages());
            out.addAll(rd.afterSync());
        }
        List<RaftMessage> responses = new ArrayList<>();
        for (RaftMessage m : out) {
            if (!m.to().equals(n(4))) {                      // n4 is slow: the transferee's ack commits C_new
                TestNode f = nodes.get(m.to());
                f.core().step(m);
                while (f.core().hasReady()) {
                    Ready rd = f.handle();
                    responses.addAll(rd.messages());
                    responses.addAll(rd.afterSync());
                }
            }
        }
        responses.sort(java.util.Comparator.comparing(m -> m.from().equals(n(5)) ? 1 : 0));
        List<NodeId> timeoutNows = new ArrayList<>();
        for (RaftMessage m : responses) {
            leader.core().step(m);
            while (leader.core().hasReady()) {
                leader.handle().messages().stream().filter(x -> x instanceof TimeoutNow)
                        .forEach(x -> timeoutNows.add(x.to()));
            }
        }
        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(timeoutNows).as("one voter told to campaign, not two splitting the vote").hasSize(1);
    }

    @Test
    void aJoiningNodeVotesForNobody() {
        TestNode joiner = add(4, Set.of(), true);
        joiner.core().step(new org.raftlib.message.RequestVote(n(1), n(4), 3, 10, 2, false, false));
        Ready rd = joiner.handle();
        List<RaftMessage> replies = new ArrayList<>(rd.messages());
        replies.addAll(rd.afterSync());
        assertThat(replies).hasSize(1).allSatisfy(m -> assertThat(((org.raftlib.message.RequestVoteResponse) m)
                .voteGranted()).as("a wiped member replaced under its id may have voted in that term").isFalse());
    }

    @Test
    void aJoiningNodeNeverCampaignsBeforeItHasAConfiguration() {
        TestNode joiner = add(4, Set.of(), true);
        for (int t = 0; t < 10 * ELECTION; t++) {
            joiner.core().tick();
            settle();
        }
        assertThat(joiner.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(joiner.core().currentTerm()).isZero();
        assertThat(joiner.core().configuration()).isEqualTo(ClusterConfig.EMPTY);
        assertThat(Optional.of(joiner.core().configurationIndex())).contains(0L);
    }
}
