package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.Cores.ELECTION;
import static org.raftlib.internal.core.Cores.n;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;

/**
 * Raft thesis §6.4, linearizable reads with ReadIndex: "1. If the leader has not yet marked an entry from its current
 * term committed, it waits until it has done so. 2. The leader saves its current commit index in a local variable
 * readIndex. 3. The leader needs to make sure it hasn't been superseded by a newer leader of which it is unaware. It
 * issues a new round of heartbeats and waits for their acknowledgments from a majority of the cluster. 4. The leader
 * waits for its state machine to advance at least as far as the readIndex."
 */
class ReadIndexRulesTest {

    private final List<ReadState> confirmed = new ArrayList<>();
    private final List<Long> aborted = new ArrayList<>();

    /** A follower that knows its leader forwards the read; a node that knows none refuses it. */
    @Test
    void followerForwardsReadToItsLeaderAndRefusesWithoutOne() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);

        Proposal p = nodes.get(n(2)).core().readIndex(7);

        assertThat(p.outcome()).isEqualTo(Proposal.Outcome.FORWARDED);
        assertThat(p.isAccepted()).isTrue();
        assertThat(p.leaderHint()).contains(n(1));
        assertThat(drain(nodes.get(n(2)))).containsExactly(new ReadIndexRequest(n(2), n(1), 2, 7, false));
        Proposal none = Cores.follower(1, 3, 1).core().readIndex(8);
        assertThat(none.outcome()).isEqualTo(Proposal.Outcome.NOT_LEADER);
        assertThat(none.leaderHint()).isEmpty();
    }

    /**
     * Follower reads (thesis §6.4): the leader registers the forwarded read, confirms it with a round of heartbeats
     * like its own, and returns the read index; the follower's Ready then carries it.
     */
    @Test
    void leaderConfirmsForwardedReadWithARoundAndTheFollowerServesItAtTheLeadersIndex() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));
        nodes.get(n(3)).core().readIndex(7);
        List<RaftMessage> request = drain(nodes.get(n(3)));

        List<RaftMessage> round = deliver(nodes, request, m -> true);
        assertThat(round).hasSize(2).allSatisfy(m -> assertThat(((AppendEntries) m).readSeq()).isEqualTo(1));
        List<RaftMessage> acks = deliver(nodes, round, m -> m.to().equals(n(2)));
        List<RaftMessage> answer = deliver(nodes, acks, m -> true);

        assertThat(answer).containsExactly(new ReadIndexResponse(n(1), n(3), 2, 7, true,
                leader.core().status().commitIndex()));
        assertThat(confirmed).isEmpty();
        deliver(nodes, answer, m -> true);
        assertThat(confirmed).containsExactly(new ReadState(7, 1));
    }

    /**
     * One request in flight per leader: reads registered meanwhile wait and go in the next request, whose answer
     * confirms them all; the batch asks for a lease answer only if every read in it does, and is known by its first
     * read's id.
     */
    @Test
    void aFollowerBatchesTheReadsRegisteredWhileARequestIsInFlight() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode follower = nodes.get(n(2));
        follower.core().leaseRead(7);
        List<RaftMessage> first = drain(follower);
        follower.core().leaseRead(8);
        follower.core().readIndex(9);
        assertThat(drain(follower)).isEmpty();

        follower.core().step(new ReadIndexResponse(n(1), n(2), 2, 7, true, 1));
        List<RaftMessage> second = drain(follower);

        assertThat(first).containsExactly(new ReadIndexRequest(n(2), n(1), 2, 7, true));
        assertThat(second).containsExactly(new ReadIndexRequest(n(2), n(1), 2, 8, false));
        follower.core().step(new ReadIndexResponse(n(1), n(2), 2, 8, true, 1));
        drain(follower);
        assertThat(confirmed).containsExactly(new ReadState(7, 1), new ReadState(8, 1), new ReadState(9, 1));
    }

    /** A node that does not lead refuses a forwarded read at once; the asking follower aborts it. */
    @Test
    void nonLeaderRefusesAForwardedReadAndTheFollowerAbortsIt() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        nodes.get(n(2)).core().readIndex(7);
        List<RaftMessage> misrouted = List.of(new ReadIndexRequest(n(2), n(3), 2, 7, false));

        List<RaftMessage> refusal = deliver(nodes, misrouted, m -> true);
        assertThat(refusal).containsExactly(new ReadIndexResponse(n(3), n(2), 2, 7, false, 0));
        deliver(nodes, refusal, m -> true);
        assertThat(aborted).isEmpty();                       // the answer came from a node it did not ask

        deliver(nodes, List.of(new ReadIndexResponse(n(1), n(2), 2, 7, false, 0)), m -> true);
        assertThat(aborted).containsExactly(7L);
        deliver(nodes, List.of(new ReadIndexResponse(n(1), n(2), 2, 7, true, 1)), m -> true);
        assertThat(confirmed).isEmpty();                     // a duplicate answer is ignored
    }

    /** A forwarded read whose answer never comes (lost, or the leader died) is aborted after an election timeout. */
    @Test
    void forwardedReadWithoutAnAnswerIsAbortedAfterAnElectionTimeout() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode follower = nodes.get(n(2));
        follower.core().readIndex(7);
        drain(follower);
        for (int i = 1; i < Cores.ELECTION; i++) {
            follower.core().tick();
            drain(follower);
        }
        assertThat(aborted).isEmpty();
        follower.core().tick();
        drain(follower);
        assertThat(aborted).containsExactly(7L);
    }

    /** A leader that steps down before confirming a forwarded read refuses it, so the follower fails it at once. */
    @Test
    void leaderSteppingDownRefusesTheForwardedReadsItHeld() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));
        leader.core().step(new ReadIndexRequest(n(2), n(1), 2, 9, false));
        drain(leader);

        leader.core().step(new AppendEntries(n(3), n(1), 3, 1, 2, List.of(), 1));
        List<RaftMessage> sent = drain(leader);

        assertThat(sent).filteredOn(m -> m instanceof ReadIndexResponse).singleElement()
                .satisfies(m -> assertThat(((ReadIndexResponse) m).accepted()).isFalse())
                .satisfies(m -> assertThat(((ReadIndexResponse) m).requestId()).isEqualTo(9));
    }

    /** Thesis §3.10: a leader handing leadership over accepts nothing new, reads included. */
    @Test
    void transferringLeaderRefusesReads() {
        TestNode leader = Cores.leader(1, 3, 2);
        leader.core().transferLeadership(n(2));

        Proposal p = leader.core().readIndex(1);

        assertThat(p.outcome()).isEqualTo(Proposal.Outcome.TRANSFERRING);
        assertThat(p.leaderHint()).contains(n(2));
    }

    /** §6.4 step 3: the read is confirmed once a majority (the leader and one follower of three) acknowledges. */
    @Test
    void leaderConfirmsReadAfterQuorumAcknowledgesNewHeartbeatRound() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));

        Proposal p = leader.core().readIndex(42);
        List<RaftMessage> round = drain(leader);

        assertThat(p.isAccepted()).isTrue();
        assertThat(p.index()).isEqualTo(1);
        assertThat(round).hasSize(2).allSatisfy(m -> assertThat(((AppendEntries) m).readSeq()).isEqualTo(1));
        assertThat(confirmed).isEmpty();

        List<RaftMessage> responses = deliver(nodes, round, m -> m.to().equals(n(2)));
        assertThat(responses).containsExactly(AppendEntriesResponse.accepted(n(2), n(1), 2, 1, 1));
        deliver(nodes, responses, m -> true);
        drain(leader);

        assertThat(confirmed).containsExactly(new ReadState(42, 1));
    }

    /** Reads registered before the round's heartbeat leaves share the round, and confirm in registration order. */
    @Test
    void readsRegisteredBeforeTheBroadcastShareOneRoundAndConfirmInOrder() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));

        leader.core().readIndex(3);
        leader.core().readIndex(1);
        leader.core().readIndex(2);
        List<RaftMessage> round = drain(leader);
        deliver(nodes, deliver(nodes, round, m -> m.to().equals(n(3))), m -> true);
        drain(leader);

        assertThat(round).hasSize(2);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(3L, 1L, 2L);
    }

    /**
     * Under load, a round waits while the previous one is in flight, so the reads arriving meanwhile share one round
     * instead of opening one each; it goes out as soon as the previous round is echoed by a quorum.
     */
    @Test
    void aRoundWaitsForTheRoundInFlightAndTheReadsArrivingMeanwhileShareIt() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));
        leader.core().readIndex(1);
        List<RaftMessage> round1 = drain(leader);

        leader.core().readIndex(2);
        leader.core().readIndex(3);
        assertThat(drain(leader)).isEmpty();

        List<RaftMessage> round2 = deliver(nodes, deliver(nodes, round1, m -> m.to().equals(n(2))), m -> true);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L);
        assertThat(round2).hasSize(2).allSatisfy(m -> assertThat(((AppendEntries) m).readSeq()).isEqualTo(2));
        deliver(nodes, deliver(nodes, round2, m -> m.to().equals(n(3))), m -> true);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L, 2L, 3L);
    }

    /**
     * §6.4 step 3 needs a "new round" of heartbeats: an acknowledgement of an older round may have been sent before
     * the read was registered, so it proves nothing about leadership afterwards.
     */
    @Test
    void lateResponseOfAnOlderRoundDoesNotConfirmALaterRead() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode leader = nodes.get(n(1));
        leader.core().readIndex(1);
        List<RaftMessage> round1 = drain(leader);
        deliver(nodes, deliver(nodes, round1, m -> m.to().equals(n(2))), m -> true);
        List<RaftMessage> lateFromN3 = deliver(nodes, round1, m -> m.to().equals(n(3)));
        drain(leader);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L);

        leader.core().readIndex(2);
        List<RaftMessage> round2 = drain(leader);
        deliver(nodes, lateFromN3, m -> true);
        drain(leader);

        assertThat(((AppendEntriesResponse) lateFromN3.get(0)).readSeq()).isEqualTo(1);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L);

        deliver(nodes, deliver(nodes, round2, m -> m.to().equals(n(3))), m -> true);
        drain(leader);
        assertThat(confirmed).extracting(ReadState::requestId).containsExactly(1L, 2L);
    }

    /** A leader cut off in a minority while the majority elects a new leader never confirms; it aborts the read. */
    @Test
    void partitionedOldLeaderNeverConfirmsAndAbortsOnHigherTerm() {
        Map<NodeId, TestNode> nodes = electedCluster(3, false);
        TestNode oldLeader = nodes.get(n(1));
        Map<NodeId, TestNode> majority = new TreeMap<>(nodes);
        majority.remove(n(1));
        nodes.get(n(2)).core().campaign();
        for (List<RaftMessage> inFlight = drain(nodes.get(n(2))); !inFlight.isEmpty(); ) {
            inFlight = deliver(majority, inFlight, m -> true);       // n1 is cut off: its messages are lost
        }
        assertThat(nodes.get(n(2)).core().status().role()).isEqualTo(RaftRole.LEADER);

        assertThat(oldLeader.core().readIndex(5).isAccepted()).isTrue();
        List<RaftMessage> round = drain(oldLeader);
        List<RaftMessage> answers = deliver(nodes, round, m -> true);
        assertThat(answers).allSatisfy(m -> assertThat(((AppendEntriesResponse) m).readSeq()).isZero());
        deliver(nodes, answers, m -> true);
        drain(oldLeader);

        assertThat(confirmed).isEmpty();
        assertThat(aborted).containsExactly(5L);
        assertThat(oldLeader.core().status().role()).isEqualTo(RaftRole.FOLLOWER);
    }

    /** Thesis §6.2 with §6.4: a leader that loses its quorum steps down, aborting reads it could not confirm. */
    @Test
    void checkQuorumStepDownAbortsUnconfirmedReads() {
        Map<NodeId, TestNode> nodes = electedCluster(3, true);
        TestNode leader = nodes.get(n(1));
        leader.core().readIndex(9);
        leader.core().readIndex(10);

        for (int i = 0; i < 2 * ELECTION; i++) {
            leader.core().tick();
            drain(leader);                                   // partitioned: every message is lost
        }

        assertThat(leader.core().status().role()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(confirmed).isEmpty();
        assertThat(aborted).containsExactly(9L, 10L);
        assertThat(leader.core().readIndex(11).outcome()).isEqualTo(Proposal.Outcome.NOT_LEADER);
    }

    /**
     * §6.4 step 1: until the no-op of its term commits, the leader may not know the latest commit index; the read
     * index is then the no-op's index, which covers every entry earlier leaders committed. Afterwards it is the commit
     * index.
     */
    @Test
    void readIndexIsAtLeastTheCommitIndexAndTheNoOpOfTheTerm() {
        TestNode leader = Cores.leader(1, 3, 3, 1, 1);
        assertThat(leader.core().status().commitIndex()).isZero();

        Proposal early = leader.core().readIndex(1);
        drain(leader);
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 3, 0, 1));
        drain(leader);

        assertThat(early.index()).isEqualTo(3);
        assertThat(early.term()).isEqualTo(3);
        assertThat(confirmed).containsExactly(new ReadState(1, 3));
        assertThat(leader.core().status().commitIndex()).isZero();

        leader.core().propose(Bytes.EMPTY);
        drain(leader);
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 3, 4, 1));
        drain(leader);
        Proposal later = leader.core().readIndex(2);

        assertThat(leader.core().status().commitIndex()).isEqualTo(4);
        assertThat(later.index()).isEqualTo(4);
    }

    @Test
    void singleVoterConfirmsAtTheNextReady() {
        TestNode leader = Cores.leader(1, 1, 2);

        Proposal p = leader.core().readIndex(77);

        assertThat(leader.core().hasReady()).isTrue();
        assertThat(leader.core().ready().readStates()).containsExactly(new ReadState(77, p.index()));
        assertThat(p.index()).isEqualTo(leader.core().status().commitIndex()).isEqualTo(1);
    }

    /** The follower echoes the round of the AppendEntries it answers, whether it accepts or rejects it. */
    @Test
    void followerEchoesReadSeqInAcceptancesAndRejections() {
        TestNode follower = Cores.follower(1, 3, 2, 1);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 1, 1, List.of(), 0, 6));
        follower.core().step(new AppendEntries(n(2), n(1), 2, 5, 2, List.of(), 0, 7));

        assertThat(follower.handle().afterSync()).containsExactly(
                AppendEntriesResponse.accepted(n(1), n(2), 2, 1, 6),
                AppendEntriesResponse.rejected(n(1), n(2), 2, 5, 0, 2, 7));
        assertThat(follower.core().readIndex(1).outcome()).isEqualTo(Proposal.Outcome.FORWARDED);
    }

    /** Three (or {@code size}) nodes at term 1; n1 campaigns and wins term 2; the cluster is quiet afterwards. */
    private static Map<NodeId, TestNode> electedCluster(int size, boolean checkQuorum) {
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        for (int i = 1; i <= size; i++) {
            nodes.put(n(i), Cores.follower(Cores.config(i, size).withElectionSafeguards(false, checkQuorum), 1));
        }
        nodes.get(n(1)).core().campaign();
        ReplicationRulesTest.deliverAll(nodes);
        assertThat(nodes.get(n(1)).core().status().role()).isEqualTo(RaftRole.LEADER);
        return nodes;
    }

    /** Executes every Ready of {@code node}, recording read results; returns every message it sent. */
    private List<RaftMessage> drain(TestNode node) {
        List<RaftMessage> sent = new ArrayList<>();
        while (node.core().hasReady()) {
            Ready rd = node.handle();
            sent.addAll(rd.messages());
            sent.addAll(rd.afterSync());
            confirmed.addAll(rd.readStates());
            aborted.addAll(rd.abortedReads());
        }
        return sent;
    }

    /** Delivers the messages {@code filter} lets through; returns what the receivers sent in answer. */
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
