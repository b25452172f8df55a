package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.raftlib.internal.core.Cores.ELECTION;
import static org.raftlib.internal.core.Cores.n;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/**
 * Raft thesis §6.4.1, reads under a leader lease: a leader answers without a round trip while a quorum acknowledged a
 * heartbeat round opened less than a lease ago; voters refuse votes for an election timeout after hearing from a
 * leader (§4.2.3) and after they start; a transfer ends the lease; a stalled leader's lease ends on time.
 */
class LeaseRulesTest {

    private static final int LEASE = CoreConfig.leaseTicksFor(ELECTION, 0.05);

    private final List<ReadState> confirmed = new ArrayList<>();

    @Test
    void leaseLengthAllowsForDriftAndTickRounding() {
        assertThat(LEASE).isEqualTo(7);                       // (10 - 1) * 0.95 / 1.05 = 8.14, less one tick
        assertThat(CoreConfig.leaseTicksFor(50, 0.05)).isEqualTo(43);
        assertThat(CoreConfig.leaseTicksFor(50, 0)).isEqualTo(48);
        assertThat(CoreConfig.leaseTicksFor(2, 0.05)).isZero();
        assertThatThrownBy(() -> CoreConfig.leaseTicksFor(10, 0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cores.config(1, 3).withLease(ELECTION)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void leaderAnswersAtOnceWhileAQuorumAcknowledgedARecentHeartbeat() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));
        heartbeatAcknowledgedBy(nodes, n(2));

        Proposal p = leader.core().leaseRead(5);
        List<RaftMessage> sent = drain(leader);

        assertThat(p.isAccepted()).isTrue();
        assertThat(confirmed).containsExactly(new ReadState(5, p.index()));
        assertThat(sent).as("no round trip").isEmpty();
    }

    /** Just elected, no round of this leader's was acknowledged yet: the read takes a ReadIndex round. */
    @Test
    void newLeaderWithoutAcknowledgedRoundFallsBackToReadIndex() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));

        Proposal p = leader.core().leaseRead(5);
        List<RaftMessage> round = drain(leader);

        assertThat(p.isAccepted()).isTrue();
        assertThat(confirmed).isEmpty();
        assertThat(round).hasSize(2).allSatisfy(m -> assertThat(m).isInstanceOf(AppendEntries.class));
        deliver(nodes, deliver(nodes, round, m -> m.to().equals(n(2))), m -> true);
        drain(leader);
        assertThat(confirmed).containsExactly(new ReadState(5, p.index()));
    }

    /**
     * The lease lasts {@code LEASE} ticks from the opening of the last acknowledged round; then reads take a round.
     * With nothing heard from a quorum for an election timeout, checked at every tick, the leader steps down.
     */
    @Test
    void leaseEndsWithoutAcknowledgementsAndTheLeaderStepsDownAfterAnElectionTimeout() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));
        heartbeatAcknowledgedBy(nodes, n(2));
        for (int i = 1; i < LEASE; i++) {
            leader.core().tick();
            drain(leader);                                    // partitioned: every message is lost
        }
        assertThat(leader.core().leaseRead(6).isAccepted()).isTrue();
        drain(leader);
        assertThat(confirmed).as("the lease still holds").hasSize(1);
        leader.core().tick();
        assertThat(leader.core().leaseRead(7).isAccepted()).isTrue();
        drain(leader);
        assertThat(confirmed).as("the lease has ended").hasSize(1);

        for (int i = LEASE + 1; i <= ELECTION; i++) {      // ELECTION ticks after n2 was last heard
            leader.core().tick();
            drain(leader);
        }

        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
    }

    /**
     * Thesis §6.4.1: the lease counts from when the acknowledged round was opened, not from when its
     * acknowledgement arrived. An echo that arrives late keeps CheckQuorum satisfied (that counts from arrival), but
     * the voter that sent it heard this leader when the round was opened and may vote for another candidate an
     * election timeout after that, however late its answer lands here: {@code LEASE} ticks after the round opened the
     * leader still leads and hears from a quorum, and must not serve a read from its lease.
     */
    @Test
    void lateAcknowledgementKeepsTheLeaderButNotItsLease() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));
        heartbeatAcknowledgedBy(nodes, n(2));
        leader.core().tick();                                  // opens round r, heartbeats to n2 and n3
        List<RaftMessage> slowEcho = deliver(nodes, drain(leader), m -> m.to().equals(n(2)));
        assertThat(slowEcho).hasSize(1);
        for (int i = 1; i < LEASE; i++) {                     // the echo of r is on a slow link; all else is lost
            leader.core().tick();
            drain(leader);
        }
        deliver(nodes, slowEcho, m -> true);                  // arrives LEASE - 1 ticks after r opened
        assertThat(leader.core().leaseRead(6).isAccepted()).isTrue();
        drain(leader);
        assertThat(confirmed).as("LEASE - 1 ticks after r opened, the lease holds").hasSize(1);

        leader.core().tick();
        List<RaftMessage> round = drain(leader);
        Proposal p = leader.core().leaseRead(7);
        round.addAll(drain(leader));

        assertThat(leader.core().currentRole()).as("n2 was heard a tick ago").isEqualTo(RaftRole.LEADER);
        assertThat(p.isAccepted()).isTrue();
        assertThat(confirmed).as("LEASE ticks after r opened, no read from the lease").hasSize(1);
        assertThat(round).as("the read takes a round")
                .anySatisfy(m -> assertThat(m).isInstanceOf(AppendEntries.class));
    }

    /** A process stall: the timers advance one tick, the lease clock all of them, so the lease cannot outlive it. */
    @Test
    void stalledLeaderCountsEveryTickItMissed() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));
        heartbeatAcknowledgedBy(nodes, n(2));

        leader.core().tick(ELECTION);

        assertThat(leader.core().currentRole()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(leader.core().leaseRead(7).outcome()).isEqualTo(Proposal.Outcome.NOT_LEADER);
    }

    /**
     * Thesis §3.10: the target of TimeoutNow campaigns at once and voters ignore their leases for it, so the leader
     * refuses reads during the transfer and has no lease for the rest of its term, even once the transfer is dropped.
     */
    @Test
    void transferEndsTheLeaseForTheRestOfTheTerm() {
        Map<NodeId, TestNode> nodes = electedCluster();
        TestNode leader = nodes.get(n(1));
        heartbeatAcknowledgedBy(nodes, n(2));
        leader.core().transferLeadership(n(2));
        assertThat(drain(leader)).anySatisfy(m -> assertThat(m).isInstanceOf(TimeoutNow.class));
        assertThat(leader.core().leaseRead(8).outcome()).isEqualTo(Proposal.Outcome.TRANSFERRING);

        for (int i = 0; i < ELECTION; i++) {                 // TimeoutNow was lost; n3 keeps acknowledging
            leader.core().tick();
            deliver(nodes, deliver(nodes, drain(leader), m -> m.to().equals(n(3))), m -> true);
        }
        confirmed.clear();
        Proposal p = leader.core().leaseRead(9);
        drain(leader);

        assertThat(p.isAccepted()).isTrue();
        assertThat(confirmed).as("no lease after TimeoutNow").isEmpty();
    }

    /** A voter grants no vote for an election timeout after it starts: it may have acknowledged a lease and crashed. */
    @Test
    void freshNodeHoldsBackItsVoteForAnElectionTimeout() {
        TestNode node = Cores.follower(leaseConfig(3), 1);
        RequestVote ask = new RequestVote(n(2), n(3), 2, 0, 0, false, false);

        node.core().step(ask);
        assertThat(drain(node)).isEmpty();
        for (int i = 0; i < ELECTION; i++) {
            node.core().tick();
        }
        node.core().step(ask);

        assertThat(drain(node)).containsExactly(new RequestVoteResponse(n(3), n(2), 2, true, false));
    }

    @Test
    void withoutLeasesAFreshNodeVotesAtOnce() {
        TestNode node = Cores.follower(Cores.config(3, 3).withElectionSafeguards(false, true), 1);

        node.core().step(new RequestVote(n(2), n(3), 2, 0, 0, false, false));

        assertThat(drain(node)).containsExactly(new RequestVoteResponse(n(3), n(2), 2, true, false));
    }

    private static CoreConfig leaseConfig(int id) {
        return Cores.config(id, 3).withElectionSafeguards(false, true).withLease(LEASE);
    }

    /** Three nodes past their first election timeout; n1 campaigns and wins term 2. */
    private Map<NodeId, TestNode> electedCluster() {
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        for (int i = 1; i <= 3; i++) {
            TestNode node = Cores.follower(leaseConfig(i), 1);
            for (int t = 0; t < ELECTION; t++) {
                node.core().tick();
            }
            drain(node);
            nodes.put(n(i), node);
        }
        nodes.get(n(1)).core().campaign();
        ReplicationRulesTest.deliverAll(nodes);
        assertThat(nodes.get(n(1)).core().currentRole()).isEqualTo(RaftRole.LEADER);
        confirmed.clear();
        return nodes;
    }

    /** One heartbeat tick of the leader n1, acknowledged by {@code by} only. */
    private void heartbeatAcknowledgedBy(Map<NodeId, TestNode> nodes, NodeId by) {
        TestNode leader = nodes.get(n(1));
        leader.core().tick();
        deliver(nodes, deliver(nodes, drain(leader), m -> m.to().equals(by)), m -> true);
        drain(leader);
        confirmed.clear();
    }

    private List<RaftMessage> drain(TestNode node) {
        List<RaftMessage> sent = new ArrayList<>();
        while (node.core().hasReady()) {
            Ready rd = node.handle();
            sent.addAll(rd.messages());
            sent.addAll(rd.afterSync());
            confirmed.addAll(rd.readStates());
        }
        return sent;
    }

    private List<RaftMessage> deliver(Map<NodeId, TestNode> nodes, List<RaftMessage> messages,
            Predicate<RaftMessage> filter) {
        List<RaftMessage> answers = new ArrayList<>();
        for (RaftMessage m : messages) {
            if (filter.test(m) && nodes.containsKey(m.to())) {
                TestNode to = nodes.get(m.to());
                to.core().step(m);
                answers.addAll(drain(to));
            }
        }
        return answers;
    }
}
