package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.internal.core.Cores.entry;
import static org.raftlib.internal.core.Cores.n;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.progress.ProgressMode;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;

/** Raft §7 and thesis chapter 5: compaction, InstallSnapshot on both sides, and a follower that lost its data. */
class SnapshotRulesTest {

    /** A leader of term 2 whose entries 1-4 are committed, applied and covered by a snapshot it compacted. */
    private static TestNode compactedLeader() {
        TestNode leader = Cores.leader(1, 3, 2, 1, 1, 1);
        leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 4));
        leader.handle();
        leader.handle();
        assertThat(leader.core().status().appliedIndex()).isEqualTo(4);
        leader.core().onSnapshotTaken(new SnapshotPoint(4, 2));
        assertThat(leader.core().compact(4)).isTrue();
        Ready rd = leader.handle();
        assertThat(rd.compactTo()).hasValue(4);
        assertThat(leader.core().status().firstIndex()).isEqualTo(5);
        return leader;
    }

    /** {@link #compactedLeader()} streaming its snapshot to n3, which lacks the compacted entries. */
    private static TestNode sendingTheSnapshotToN3() {
        TestNode leader = compactedLeader();
        leader.core().step(AppendEntriesResponse.rejected(n(3), n(1), 2, 3, 0, 1, 0));
        assertThat(leader.handle().snapshotSends()).hasSize(1);
        return leader;
    }

    /** Raft §7: a follower that needs an entry the leader compacted gets the snapshot, not AppendEntries. */
    @Test
    void leaderSendsTheSnapshotWhenTheFollowerNeedsCompactedEntries() {
        TestNode leader = compactedLeader();

        leader.core().step(AppendEntriesResponse.rejected(n(3), n(1), 2, 3, 0, 1, 0));
        Ready rd = leader.handle();

        assertThat(rd.snapshotSends()).containsExactly(new SnapshotPoint.Send(n(3), new SnapshotPoint(4, 2)));
        assertThat(rd.messages()).noneMatch(m -> m instanceof AppendEntries a && a.to().equals(n(3))
                && !a.entries().isEmpty());
        assertThat(leader.core().status().peers().get(n(3)).mode()).isEqualTo(ProgressMode.SNAPSHOT);

        leader.core().onSnapshotSent(n(3), 4, true);
        Ready after = leader.handle();
        assertThat(after.messages()).anyMatch(m -> m instanceof AppendEntries a && a.to().equals(n(3))
                && a.prevLogIndex() == 4 && a.prevLogTerm() == 2);
        assertThat(leader.core().status().peers().get(n(3)).matchIndex()).isEqualTo(4);
    }

    /** A failed send goes back to probing, which asks for the snapshot again: no follower is left stuck. */
    @Test
    void aFailedSendIsRetried() {
        TestNode leader = sendingTheSnapshotToN3();

        leader.core().onSnapshotSent(n(3), 4, false);
        Ready rd = leader.handle();

        assertThat(rd.snapshotSends()).containsExactly(new SnapshotPoint.Send(n(3), new SnapshotPoint(4, 2)));
    }

    /**
     * Sends that keep failing (a follower that cannot store the snapshot, a snapshot this leader cannot read) back off:
     * an election timeout after the second failure in a row, doubling; a success ends the backoff.
     */
    @Test
    void repeatedFailedSendsBackOff() {
        TestNode leader = sendingTheSnapshotToN3();
        int timeout = leader.core().config().electionTicks();
        leader.core().onSnapshotSent(n(3), 4, false);
        assertThat(leader.handle().snapshotSends()).as("first failure: at once").hasSize(1);

        leader.core().onSnapshotSent(n(3), 4, false);
        assertThat(leader.handle().snapshotSends()).as("second failure").isEmpty();
        assertThat(ticksUntilTheNextSend(leader)).isEqualTo(timeout);

        leader.core().onSnapshotSent(n(3), 4, false);
        assertThat(ticksUntilTheNextSend(leader)).isEqualTo(2 * timeout);

        leader.core().onSnapshotSent(n(3), 4, true);
        leader.handle();
        assertThat(leader.core().status().peers().get(n(3)).matchIndex()).isEqualTo(4);
        leader.core().step(AppendEntriesResponse.rejected(n(3), n(1), 2, 4, 0, 1, 0));   // its disk wiped again
        assertThat(leader.handle().snapshotSends()).as("after a success: at once").hasSize(1);
        leader.core().onSnapshotSent(n(3), 4, false);
        assertThat(leader.handle().snapshotSends()).as("a first failure again").hasSize(1);
    }

    /** Sends that fail while the follower is silent (cut off, down) do not back off: it gets one once it is back. */
    @Test
    void sendsThatFailWhileTheFollowerIsSilentDoNotBackOff() {
        TestNode leader = sendingTheSnapshotToN3();
        int timeout = leader.core().config().electionTicks();
        for (int tick = 0; tick < 2 * timeout; tick++) {     // n3 goes silent; n2 keeps the quorum
            leader.core().tick();
            leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 4));
            leader.handle();
        }
        for (int failure = 1; failure <= 4; failure++) {
            leader.core().onSnapshotSent(n(3), 4, false);
            assertThat(leader.handle().snapshotSends()).as("failure %d", failure).hasSize(1);
        }
    }

    /** Ticks the leader, its followers answering every tick as a follower that lacks the compacted entries would. */
    private static int ticksUntilTheNextSend(TestNode leader) {
        for (int tick = 1; tick <= 1_000; tick++) {
            leader.core().tick();
            leader.core().step(AppendEntriesResponse.accepted(n(2), n(1), 2, 4));
            leader.core().step(AppendEntriesResponse.rejected(n(3), n(1), 2, 4, 0, 1, 0));
            if (!leader.handle().snapshotSends().isEmpty()) {
                return tick;
            }
        }
        return -1;
    }

    /** A follower that rejects at the very index it acknowledged lost its data: the leader starts over for it. */
    @Test
    void followerThatLostItsDataIsReplicatedAgain() {
        TestNode leader = compactedLeader();
        assertThat(leader.core().status().peers().get(n(2)).matchIndex()).isEqualTo(4);

        leader.core().step(AppendEntriesResponse.rejected(n(2), n(1), 2, 4, 0, 1, 0));
        Ready rd = leader.handle();

        assertThat(rd.snapshotSends()).containsExactly(new SnapshotPoint.Send(n(2), new SnapshotPoint(4, 2)));
        assertThat(leader.core().status().peers().get(n(2)).matchIndex()).isZero();
    }

    /** Raft §7 receiver: a snapshot the log does not continue replaces it; appends then continue after it. */
    @Test
    void followerInstallsTheSnapshotAndContinuesWithAppends() {
        TestNode follower = Cores.follower(2, 3, 2, 1);
        follower.core().step(chunk(10, 2));
        assertThat(follower.core().status().leader()).contains(n(1));
        RaftMessage reply = new InstallSnapshotResponse(n(2), n(1), 2, 10, 99, true);

        assertThat(follower.core().installSnapshot(n(1), new SnapshotPoint(10, 2), null, reply)).isTrue();
        Ready rd = follower.handle();

        assertThat(rd.install()).contains(new SnapshotPoint(10, 2));
        assertThat(rd.afterSync()).containsExactly(reply);
        assertThat(follower.core().status().lastIndex()).isEqualTo(10);
        assertThat(follower.core().status().commitIndex()).isEqualTo(10);
        assertThat(follower.core().status().firstIndex()).isEqualTo(11);

        follower.core().step(new AppendEntries(n(1), n(2), 2, 10, 2, List.of(entry(2, 11)), 11));
        Ready next = follower.handle();
        assertThat(next.afterSync()).containsExactly(AppendEntriesResponse.accepted(n(2), n(1), 2, 11));
        follower.core().onApplied(10);                       // the runtime restored the state machine
        assertThat(follower.handle().committed()).extracting(org.raftlib.LogEntry::index).containsExactly(11L);
    }

    /** Raft §7 receiver 6: if the log holds the snapshot's last entry, keep what follows and commit up to it. */
    @Test
    void followerWhoseLogHoldsTheSnapshotsLastEntryKeepsItsLog() {
        TestNode follower = Cores.follower(2, 3, 2, 1, 1, 2, 2);
        follower.core().step(chunk(3, 2));

        assertThat(follower.core().installSnapshot(n(1), new SnapshotPoint(3, 2), null, reply(3))).isFalse();
        Ready rd = follower.handle();

        assertThat(rd.install()).isEmpty();
        assertThat(follower.core().status().lastIndex()).isEqualTo(4);
        assertThat(follower.core().status().commitIndex()).isEqualTo(3);
    }

    /** A snapshot older than what this follower already committed changes nothing (it is acknowledged). */
    @Test
    void snapshotOlderThanTheCommitIndexIsRefused() {
        TestNode follower = Cores.follower(2, 3, 2, 1, 1, 2, 2);
        follower.core().step(new AppendEntries(n(1), n(2), 2, 4, 2, List.of(), 4));
        follower.handle();

        assertThat(follower.core().installSnapshot(n(1), new SnapshotPoint(3, 2), null, reply(3))).isFalse();
        Ready rd = follower.handle();

        assertThat(rd.install()).isEmpty();
        assertThat(rd.afterSync()).containsExactly(reply(3));
        assertThat(follower.core().status().lastIndex()).isEqualTo(4);
    }

    /** A snapshot from a node that is not (or no longer) this follower's leader is dropped. */
    @Test
    void snapshotFromAStaleLeaderIsDropped() {
        TestNode follower = Cores.follower(2, 3, 3, 1);
        follower.core().step(new AppendEntries(n(3), n(2), 3, 1, 1, List.of(), 1));
        follower.handle();

        assertThat(follower.core().installSnapshot(n(1), new SnapshotPoint(10, 2), null, reply(10))).isFalse();
        assertThat(follower.handle().afterSync()).isEmpty();
        assertThat(follower.core().status().role()).isEqualTo(RaftRole.FOLLOWER);
        assertThat(follower.core().status().lastIndex()).isEqualTo(1);
    }

    /**
     * A snapshot received but not installed (its sender stopped leading first) must not become this node's snapshot
     * beyond its commit index: its log may hold other entries there, and the snapshot's term would be answered for
     * them.
     */
    @Test
    void aSnapshotBeyondTheCommitIndexIsNotAdopted() {
        TestNode follower = Cores.follower(2, 3, 2, 1, 1, 1);

        follower.core().onSnapshotTaken(new SnapshotPoint(3, 2));

        assertThat(follower.core().status().snapshotIndex()).isZero();
    }

    private static InstallSnapshot chunk(long index, long term) {
        return new InstallSnapshot(n(1), n(2), 2, index, term, 0, Bytes.EMPTY, false);
    }

    private static RaftMessage reply(long index) {
        return new InstallSnapshotResponse(n(2), n(1), 2, index, 99, true);
    }
}
