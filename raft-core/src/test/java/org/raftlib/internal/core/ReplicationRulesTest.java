package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.Cores.entry;
import static org.raftlib.internal.core.Cores.n;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.scenario.CapturingLogger;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/** Figure 2 and Raft §5.3, §5.4.2, §8 (and thesis §3.8, §3.10): log replication and commitment. */
class ReplicationRulesTest {

    /** §8: "each leader commit a blank no-op entry into the log at the start of its term"; §5.2 heartbeats at once. */
    @Test
    void newLeaderAppendsAnEntryOfItsTermAndSendsAppendEntriesAtOnce() {
        TestNode node = Cores.follower(1, 3, 1, 1, 1);
        node.core().campaign();
        node.handle();

        node.core().step(new RequestVoteResponse(n(2), n(1), 2, true, false));

        Ready rd = node.core().ready();
        // No log or snapshot holds a configuration yet: the first entry writes the bootstrap one down.
        LogEntry first = new LogEntry(2, 3, EntryType.CONFIGURATION,
                Bytes.wrap(ClusterConfig.ofVoters(List.of(Member.of("n1", ""), Member.of("n2", ""),
                        Member.of("n3", ""))).encode()));
        assertThat(rd.entries()).containsExactly(first);
        assertThat(rd.messages()).containsExactly(
                new AppendEntries(n(1), n(2), 2, 2, 1, List.of(first), 0),
                new AppendEntries(n(1), n(3), 2, 2, 1, List.of(first), 0));
        assertThat(node.core().configurationIndex()).isEqualTo(3);
    }

    /** Once a log holds the configuration, a new leader's first entry is the no-op of Raft §8. */
    @Test
    void aLeaderWhoseLogHoldsTheConfigurationAppendsANoOp() {
        TestNode node = Cores.leader(1, 3, 2, 1, 1);              // wrote the configuration at index 3, term 2
        node.core().step(new AppendEntries(n(2), n(1), 3, 3, 2, List.of(), 0));   // n2 leads term 3
        node.handle();
        node.core().campaign();
        node.handle();
        node.core().step(new RequestVoteResponse(n(2), n(1), 4, true, false));

        assertThat(node.core().ready().entries()).containsExactly(new LogEntry(4, 4, EntryType.NO_OP, Bytes.EMPTY));
    }

    /**
     * Figure 2, AppendEntries receiver 2: "Reply false if log doesn't contain an entry at prevLogIndex whose term
     * matches prevLogTerm"; the hint names the conflicting term and its first index (§5.3, optimization).
     */
    @Test
    void rejectsMismatchWithConflictTermHint() {
        TestNode follower = Cores.follower(1, 3, 3, 1, 1, 2, 2, 2);

        follower.core().step(new AppendEntries(n(2), n(1), 3, 5, 3, List.of(entry(3, 6)), 0));

        Ready rd = follower.core().ready();
        assertThat(rd.messages()).isEmpty();
        assertThat(rd.afterSync()).containsExactly(AppendEntriesResponse.rejected(n(1), n(2), 3, 5, 2, 3));
        assertThat(rd.entries()).isEmpty();
    }

    /**
     * A follower knows the commit index its leader announces even when it holds none of the entries (it needs a
     * snapshot it cannot store): health measures its lag from that, not from its own commit index of 0, which read
     * ready while the node held nothing (found by a full-disk probe). Its own commit index stays within its log.
     */
    @Test
    void aFollowerKnowsTheCommitIndexItsLeaderAnnouncesBeyondItsLog() {
        TestNode follower = Cores.follower(1, 3, 3);

        follower.core().step(new AppendEntries(n(2), n(1), 3, 7_552, 3, List.of(), 102_389));
        follower.handle();

        assertThat(follower.core().commitIndex()).isZero();
        assertThat(CoreInspection.knownCommit(follower.core())).isEqualTo(102_389);
        follower.core().campaign();
        assertThat(CoreInspection.knownCommit(follower.core())).as("a candidate knows its own").isZero();
    }

    /** Figure 2, AppendEntries receiver 2: a log too short for prevLogIndex hints its last index + 1. */
    @Test
    void rejectsShortLogWithLastIndexHint() {
        TestNode follower = Cores.follower(1, 3, 3, 1, 1);

        follower.core().step(new AppendEntries(n(2), n(1), 3, 7, 3, List.of(), 0));

        assertThat(follower.core().ready().afterSync())
                .containsExactly(AppendEntriesResponse.rejected(n(1), n(2), 3, 7, 0, 3));
    }

    /** §5.3: "the leader decrements nextIndex"; with the hint it skips the follower's whole conflicting term. */
    @Test
    void leaderSkipsConflictingTermUsingHint() {
        TestNode leader = Cores.leader(1, 3, 3, 1, 1, 1);

        leader.core().step(AppendEntriesResponse.rejected(n(2), n(1), 3, 3, 2, 2));

        assertThat(leader.core().ready().messages()).containsExactly(new AppendEntries(n(1), n(2), 3, 1, 1,
                List.of(entry(1, 2), entry(1, 3), leader.log().all().get(3)), 0));
    }

    /**
     * Figure 2, AppendEntries receiver 3 and 4: "If an existing entry conflicts with a new one (same index but
     * different terms), delete the existing entry and all that follow it. Append any new entries not already in the
     * log."
     */
    @Test
    void truncatesFromFirstConflictingEntryOnly() {
        TestNode follower = Cores.follower(1, 3, 3, 1, 1, 2, 2);

        follower.core().step(new AppendEntries(n(2), n(1), 3, 1, 1, List.of(entry(1, 2), entry(3, 3)), 0));

        Ready rd = follower.handle();
        assertThat(rd.truncateFrom()).hasValue(3);
        assertThat(rd.entries()).containsExactly(entry(3, 3));
        assertThat(follower.log().all()).containsExactly(entry(1, 1), entry(1, 2), entry(3, 3));
        assertThat(rd.afterSync()).containsExactly(AppendEntriesResponse.accepted(n(1), n(2), 3, 3));
    }

    /** §5.3: a stale (duplicated or reordered) AppendEntries whose entries all match truncates nothing. */
    @Test
    void staleDuplicateAppendDoesNotTruncateNewerEntries() {
        TestNode follower = Cores.follower(1, 3, 2, 1, 2, 2, 2);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 1, 1, List.of(entry(2, 2)), 0));

        Ready rd = follower.handle();
        assertThat(rd.truncateFrom()).isEmpty();
        assertThat(rd.entries()).isEmpty();
        assertThat(follower.core().status().lastIndex()).isEqualTo(4);
        assertThat(rd.afterSync()).containsExactly(AppendEntriesResponse.accepted(n(1), n(2), 2, 2));
    }

    /**
     * Figure 2, AppendEntries receiver 5: "If leaderCommit &gt; commitIndex, set commitIndex = min(leaderCommit,
     * index of last new entry)"; the commit index never decreases.
     */
    @Test
    void followerCommitIsMinOfLeaderCommitAndLastNewEntryAndNeverDecreases() {
        TestNode follower = Cores.follower(1, 3, 2, 1, 1, 1, 1);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 1, 1, List.of(entry(1, 2)), 4));
        assertThat(follower.core().status().commitIndex()).as("min(4, 2)").isEqualTo(2);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 3, 1, List.of(), 3));
        assertThat(follower.core().status().commitIndex()).isEqualTo(3);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 3, 1, List.of(), 1));
        assertThat(follower.core().status().commitIndex()).as("never decreases").isEqualTo(3);
    }

    /**
     * Figure 2, AppendEntries receiver 5, with "last new entry" the highest index checked against this leader in this
     * term: a heartbeat anchored below the follower's commit (the leader's view of its match lags) still carries the
     * commit index to the entries the follower holds from this leader.
     */
    @Test
    void heartbeatBelowCommitAdvancesCommitOverEntriesMatchedWithThisLeader() {
        TestNode follower = Cores.follower(1, 3, 2);
        follower.core().step(new AppendEntries(n(2), n(1), 2, 0, 0,
                List.of(entry(2, 1), entry(2, 2), entry(2, 3), entry(2, 4)), 2));
        follower.handle();
        assertThat(follower.core().status().commitIndex()).isEqualTo(2);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 1, 2, List.of(), 4));

        assertThat(follower.core().status().commitIndex()).isEqualTo(4);
    }

    /**
     * Durability rule 3: the commit index in a hard state never exceeds the durable prefix of the log. Here the new
     * term's hard state goes out with a truncation of entries 2-3 and a new entry 2, whose leader commit covers it;
     * a storage that makes the hard state durable first must not be able to restart with commit 2 over the old entry.
     */
    @Test
    void hardStateCommitStaysWithinTheDurableLog() {
        TestNode follower = Cores.follower(1, 3, 1, 1, 1, 1);

        follower.core().step(new AppendEntries(n(2), n(1), 2, 1, 1, List.of(entry(2, 2)), 2));

        Ready rd = follower.core().ready();
        assertThat(follower.core().status().commitIndex()).isEqualTo(2);
        assertThat(rd.truncateFrom()).hasValue(2);
        assertThat(rd.hardState()).hasValueSatisfying(hs -> {
            assertThat(hs.term()).isEqualTo(2);
            assertThat(hs.commit()).as("durable prefix ends at 1").isEqualTo(1);
        });
    }

    /**
     * §5.4.2 (Figure 8): "Raft never commits log entries from previous terms by counting replicas. Only log entries
     * from the leader's current term are committed by counting replicas".
     */
    @Test
    void leaderDoesNotCommitOldTermEntryByCounting() {
        TestNode leader = Cores.leader(1, 3, 4, 1, 2);

        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 4, 2));

        assertThat(leader.core().status().commitIndex()).as("2/2 on a majority, but of term 2").isZero();
    }

    /** §5.4.2: "once an entry from the current term has been committed ... all prior entries are committed". */
    @Test
    void oldTermEntryCommitsIndirectlyWithCurrentTermEntry() {
        TestNode leader = Cores.leader(1, 3, 4, 1, 2);
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 4, 2));

        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 4, 3));

        assertThat(leader.core().status().commitIndex()).isEqualTo(3);
        assertThat(leader.handle().committed()).extracting(LogEntry::index).containsExactly(1L, 2L, 3L);
    }

    /** Thesis §10.2.1: the leader's own copy of an entry counts toward commitment only once it is durable. */
    @Test
    void leaderCountsOwnEntryOnlyAfterPersisting() {
        TestNode leader = Cores.leader(1, 3, 2);
        long index = leader.core().propose(Bytes.copyOf(new byte[] {7})).index();
        Ready rd = leader.core().ready();

        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, index));
        assertThat(leader.core().status().commitIndex()).as("n2 alone is no majority").isEqualTo(1);

        leader.persist(rd);
        leader.core().onPersisted(rd);
        assertThat(leader.core().status().commitIndex()).isEqualTo(index);
    }

    /** Figure 2, all servers: "If commitIndex &gt; lastApplied: increment lastApplied, apply log[lastApplied]". */
    @Test
    void committedEntriesAreHandedOutOnceInOrder() {
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        for (int i = 1; i <= 3; i++) {
            nodes.put(n(i), Cores.follower(i, 3, 0));
        }
        nodes.get(n(1)).core().campaign();
        deliverAll(nodes);
        for (int i = 0; i < 20; i++) {
            nodes.get(n(1)).core().propose(Bytes.copyOf(new byte[] {(byte) i}));
            if (i % 3 == 0) {
                deliverAll(nodes);
            }
        }
        deliverAll(nodes);
        nodes.get(n(1)).core().tick();                       // followers learn the last commit with a heartbeat
        deliverAll(nodes);

        for (TestNode node : nodes.values()) {
            List<Long> indexes = node.applied().stream().map(LogEntry::index).toList();
            assertThat(indexes).as("%s", node.id()).hasSize(21);
            for (int i = 0; i < indexes.size(); i++) {
                assertThat(indexes.get(i)).isEqualTo(i + 1L);
            }
            assertThat(node.core().status().appliedIndex()).isEqualTo(21);
        }
    }

    /** Thesis §3.10: the leader sends TimeoutNow only once the target has caught up, and refuses proposals. */
    @Test
    void transferSendsTimeoutNowOnceTargetCaughtUp() {
        TestNode leader = Cores.leader(1, 3, 2);

        leader.core().transferLeadership(n(2));
        assertThat(leader.core().propose(Bytes.EMPTY).outcome()).isEqualTo(Proposal.Outcome.TRANSFERRING);
        assertThat(leader.core().ready().messages()).noneMatch(m -> m instanceof TimeoutNow);

        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 1));
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 1));

        assertThat(leader.core().ready().messages()).filteredOn(m -> m instanceof TimeoutNow)
                .containsExactly(new TimeoutNow(n(1), n(2), 2));
    }

    /** Thesis §3.10: TimeoutNow makes the target campaign at once, skipping pre-vote, flagged as a transfer. */
    @Test
    void timeoutNowStartsTransferElectionAtOnce() {
        TestNode target = Cores.follower(Cores.config(2, 3).withElectionSafeguards(true, true), 2);
        target.core().step(new AppendEntries(n(1), n(2), 2, 0, 0, List.of(), 0));
        target.handle();

        target.core().step(new TimeoutNow(n(1), n(2), 2));

        assertThat(target.core().status().role()).isEqualTo(RaftRole.CANDIDATE);
        assertThat(target.core().ready().messages()).containsExactly(
                new RequestVote(n(2), n(1), 3, 0, 0, false, true), new RequestVote(n(2), n(3), 3, 0, 0, false, true));
    }

    /**
     * Thesis §3.10: only the leader sends TimeoutNow. From another node it would start an election that skips
     * PreVote and, flagged as a transfer, overrides the voters' lease (outside probe: a vote was granted during the
     * live leader's lease). It is ignored, with one WARN.
     */
    @Test
    void timeoutNowFromANodeThatDoesNotLeadIsIgnored() {
        TestNode target = Cores.follower(Cores.config(2, 3).withElectionSafeguards(true, true), 2);
        target.core().step(new TimeoutNow(n(3), n(2), 2));
        assertThat(target.core().status().role()).as("no leader known").isEqualTo(RaftRole.FOLLOWER);

        target.core().step(new AppendEntries(n(1), n(2), 2, 0, 0, List.of(), 0));
        target.handle();
        target.core().step(new TimeoutNow(n(3), n(2), 2));

        assertThat(target.core().status().role()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(target.core().status().term()).isEqualTo(2);
        assertThat(target.core().ready().messages()).noneMatch(m -> m instanceof RequestVote);
    }

    /**
     * Election Safety (Figure 3): at most one leader per term. A second node that sends what only a leader sends in a
     * term another leads is broken or hostile: a follower says so (it switched leaders silently: outside probe), and
     * so does a leader that receives it.
     */
    @Test
    void aSecondLeaderInOneTermIsWarnedOf() {
        List<String> log = new ArrayList<>();
        TestNode follower = Cores.follower(Cores.config(1, 3).withLogger(new CapturingLogger(log::add)), 2);
        follower.core().step(new AppendEntries(n(2), n(1), 2, 0, 0, List.of(), 0));
        assertThat(log).noneMatch(l -> l.contains("two leaders"));

        follower.core().step(new AppendEntries(n(3), n(1), 2, 0, 0, List.of(), 0));
        assertThat(log).anyMatch(l -> l.contains("n1 [term 2] n3 sent APPEND_ENTRIES as a leader of term 2, which n2"
                + " leads: two leaders in one term"));

        List<String> leaderLog = new ArrayList<>();
        TestNode leader = Cores.leader(Cores.config(1, 3).withLogger(new CapturingLogger(leaderLog::add)), 2);
        leader.core().step(new InstallSnapshot(n(3), n(1), 2, 1, 1, 0, Bytes.EMPTY, true));
        assertThat(leaderLog).anyMatch(l -> l.contains("n1 [term 2] n3 sent INSTALL_SNAPSHOT as a leader of term 2,"
                + " which n1 leads"));
        assertThat(leader.core().status().role()).isEqualTo(RaftRole.LEADER);
    }

    /**
     * Leader Completeness: no follower of this cluster holds entries past the leader's last index. One that says so
     * (a snapshot from another cluster copied into its data directory) is ignored: it neither commits the leader's
     * entries nor moves its next index past the log. It took the leader down before: its next heartbeat, anchored at
     * the claimed match, had no term to carry and failed to build.
     */
    @Test
    void responsesNamingIndexesPastTheLeadersLogAreIgnored() {
        TestNode leader = Cores.leader(1, 3, 3, 1, 1, 1);       // entries 1-3, its no-op at 4

        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 3, 101));
        leader.core().step(AppendEntriesResponse.rejected(n(3), n(1), 3, 50, 0, 40));
        for (int i = 0; i < Cores.ELECTION / 2; i++) {
            leader.core().tick();
        }

        assertThat(leader.core().status().role()).isEqualTo(RaftRole.LEADER);
        assertThat(leader.core().status().commitIndex()).isZero();
        List<AppendEntries> heartbeats = leader.handle().messages().stream()
                .filter(AppendEntries.class::isInstance).map(AppendEntries.class::cast).toList();
        assertThat(heartbeats).isNotEmpty().allSatisfy(a -> assertThat(a.prevLogIndex()).isLessThanOrEqualTo(4));
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 3, 4));
        assertThat(leader.core().status().commitIndex()).isEqualTo(4);
    }

    /** Thesis §3.10: a transfer that does not complete within an election timeout is abandoned. */
    @Test
    void transferIsAbandonedAfterElectionTimeout() {
        TestNode leader = Cores.leader(1, 3, 2);
        leader.core().transferLeadership(n(2));

        for (int i = 0; i < Cores.ELECTION; i++) {
            leader.core().tick();
        }

        assertThat(leader.core().status().role()).isEqualTo(RaftRole.LEADER);
        assertThat(leader.core().propose(Bytes.EMPTY).isAccepted()).isTrue();
    }

    /**
     * A leader holds what is in flight to a follower until it is acknowledged: at most 16 MiB of entries per follower,
     * not 256 messages of 1 MiB (outside probe: a follower catching up made the leader hold 256 MiB and run out of
     * heap, then every leader after it).
     */
    @Test
    void aLeaderKeepsAtMostSixteenMiBOfEntriesInFlightToOneFollower() {
        assertThat(CoreConfig.FlowControl.DEFAULT.maxInflightBytes()).isEqualTo(16L << 20);
        assertThat(new CoreConfig.FlowControl(4, 1000, 1).maxInflightBytes()).isEqualTo(4000);
        assertThat(new CoreConfig.FlowControl(4, 64L << 20, 1).maxInflightBytes()).as("one message always fits")
                .isEqualTo(64L << 20);
        TestNode leader = Cores.leader(1, 3, 2);
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 1));   // n2 has the no-op: replicating
        leader.handle();
        long inFlight = 0;
        for (int i = 0; i < 40; i++) {
            assertThat(leader.core().propose(Bytes.wrap(new byte[1 << 20])).isAccepted()).isTrue();
            Ready rd = leader.handle();
            for (RaftMessage m : rd.messages()) {
                if (m instanceof AppendEntries a && a.to().equals(n(2))) {
                    inFlight += a.entries().stream().mapToLong(e -> e.data().length()).sum();
                }
            }
        }
        assertThat(inFlight).as("entry bytes sent to n2, none acknowledged").isGreaterThanOrEqualTo(15L << 20)
                .isLessThanOrEqualTo(17L << 20);
    }

    /** Figure 2: committed entries are applied in order, each exactly once, however small the apply batches. */
    @Test
    void smallApplyBatchesStillHandOutEachEntryOnce() {
        CoreConfig config = Cores.config(1, 3).withFlow(new CoreConfig.FlowControl(256, 1 << 20, 1));
        TestNode follower = Cores.follower(config, 1, 1, 1, 1, 1, 1);

        follower.core().step(new AppendEntries(n(2), n(1), 1, 5, 1, List.of(), 5));

        List<Long> applied = new ArrayList<>();
        while (follower.core().hasReady()) {
            follower.handle().committed().forEach(e -> applied.add(e.index()));
        }
        assertThat(applied).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(follower.core().status().appliedIndex()).isEqualTo(5);
    }

    /**
     * Thesis §3.8: a follower acknowledges entries only after they are durable. If it crashes before the write, the
     * entries are lost but no acknowledgement left, so the leader never counted them.
     */
    @Test
    void followerCrashBeforeSyncLosesEntriesButNeverAckedThem() {
        TestNode follower = Cores.follower(1, 3, 1, 1);
        follower.core().step(new AppendEntries(n(2), n(1), 1, 1, 1, List.of(entry(1, 2)), 0));
        Ready rd = follower.core().ready();
        assertThat(rd.messages()).isEmpty();
        assertThat(rd.afterSync()).containsExactly(AppendEntriesResponse.accepted(n(1), n(2), 1, 2));

        follower.restart();

        assertThat(follower.core().status().lastIndex()).isEqualTo(1);
        assertThat(follower.core().hasReady()).isFalse();
    }

    /**
     * Drives every node's Ready and delivers every message until the cluster is quiet.
     *
     * @return how many rejected AppendEntries responses were delivered (repair round trips)
     */
    static int deliverAll(Map<NodeId, TestNode> nodes) {
        int rejections = 0;
        for (int round = 0; round < 1000; round++) {
            List<RaftMessage> inFlight = new ArrayList<>();
            for (TestNode node : nodes.values()) {
                while (node.core().hasReady()) {
                    Ready rd = node.handle();
                    inFlight.addAll(rd.messages());
                    inFlight.addAll(rd.afterSync());
                }
            }
            if (inFlight.isEmpty()) {
                return rejections;
            }
            for (RaftMessage m : inFlight) {
                rejections += m instanceof AppendEntriesResponse r && !r.success() ? 1 : 0;
                nodes.get(m.to()).core().step(m);
            }
        }
        throw new AssertionError("cluster never quiet");
    }
}
