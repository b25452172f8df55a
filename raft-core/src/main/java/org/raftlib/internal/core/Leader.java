package org.raftlib.internal.core;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.progress.Progress;
import org.raftlib.internal.core.progress.ProgressMode;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.TimeoutNow;

/**
 * A leader: replicates its log to every follower, advances the commit index, sends heartbeats, checks that it still
 * hears from a quorum, and hands leadership over on request (Raft §5.3, §5.4; thesis §3.10, §6.2).
 */
final class Leader extends Role {

    private final ReadIndexQueue reads = new ReadIndexQueue();
    private final Lease lease;
    private final long noOpIndex;
    private int electionElapsed;
    private int heartbeatElapsed;
    /** Ticks since this node became leader: the clock of the snapshot backoff. */
    private long ticks;
    /**
     * This leader's last index at each of its last {@code electionTicks + 1} ticks, by tick modulo the length: how far
     * behind a new voter may be (thesis §4.2.1, {@link #lastIndexOneElectionTimeoutAgo}).
     */
    private final long[] lastIndexByTick;
    private NodeId transferee;
    /** Members warned of, this term, for naming indexes past this leader's log ({@link #beyondLog}). */
    private final Set<NodeId> warnedBeyondLog = new HashSet<>();
    /** Members warned of, this term, for losing entries they acknowledged (WARN once, DEBUG after). */
    private final Set<NodeId> warnedDataLoss = new HashSet<>();

    Leader(RaftCore core, long noOpIndex) {
        super(core);
        this.noOpIndex = noOpIndex;
        this.lease = new Lease(core.config().leaseTicks());
        this.lastIndexByTick = new long[core.config().electionTicks() + 1];
        Arrays.fill(lastIndexByTick, noOpIndex);
    }

    @Override
    RaftRole kind() {
        return RaftRole.LEADER;
    }

    @Override
    int electionElapsed() {
        return electionElapsed;
    }

    @Override
    int electionTimeoutTicks() {
        return core.config().electionTicks();
    }

    /** Thesis §6.4: this leader steps down and can no longer confirm its pending reads; returns them. */
    List<ReadIndexQueue.PendingRead> abortReads() {
        List<ReadIndexQueue.PendingRead> aborted = reads.abortAll();
        if (!aborted.isEmpty()) {
            core.logger().info("{} [term {}] aborted {} pending reads: no longer leader", core.id(), core.term(),
                    aborted.size());
        }
        return aborted;
    }

    long noOpIndex() {
        return noOpIndex;
    }

    /**
     * This leader's last index one election timeout ago (its no-op's index if it has led for less). A learner that has
     * acknowledged it is less than an election timeout of appends behind, the thesis's test for a new voter (§4.2.1:
     * the last round of catch-up took less than an election timeout), whatever the entries weigh: promoted, it holds up
     * commits for about that long at most, instead of while it fetches a backlog a count of entries does not bound.
     */
    long lastIndexOneElectionTimeoutAgo() {
        return lastIndexByTick[(int) ((ticks + 1) % lastIndexByTick.length)];
    }

    NodeId transferee() {
        return transferee;
    }

    ReadIndexQueue reads() {
        return reads;
    }

    /**
     * Thesis §6.4: registers a read at read index max(commit index, index of this term's no-op). Until the no-op
     * commits, this leader's commit index may lag entries earlier leaders committed; those all precede the no-op
     * (Leader Completeness), so waiting until the no-op's index is applied covers them.
     *
     * @param origin the follower that forwarded the read, or null for this node's own
     * @param requestId the id its node gave the read
     * @return the read index
     */
    long registerRead(NodeId origin, long requestId) {
        long index = readIndex();
        if (reads.openRound()) {
            lease.roundOpened(reads.seq());
        }
        reads.add(origin, requestId, index);
        return index;
    }

    /** The index a read must wait for: see {@link #registerRead}. */
    long readIndex() {
        return Math.max(core.log().committed(), noOpIndex);
    }

    /** The lease clock also counts {@code ticks} that passed while the node stalled; see {@link RaftCore#tick(int)}. */
    void elapseLease(int ticks) {
        lease.advance(ticks);
    }

    /** How many more ticks this leader's lease holds for; 0 if it does not hold (see {@link Lease}). */
    long leaseRemaining() {
        lease.onQuorumSeq(core.tracker().quorumReadSeq(reads.seq()));
        return lease.remaining();
    }

    /** Whether this leader's lease holds now (thesis §6.4.1; see {@link Lease}). */
    boolean leaseHolds() {
        lease.onQuorumSeq(core.tracker().quorumReadSeq(reads.seq()));
        return lease.holds();
    }

    /** A message from the member whose progress is {@code pr} arrived. */
    void heardFrom(Progress pr) {
        if (lease.enabled()) {
            pr.heardAt(lease.now());
        }
    }

    @Override
    void tick() {
        ticks++;
        lastIndexByTick[(int) (ticks % lastIndexByTick.length)] = core.log().lastIndex();
        lease.tick();
        if (core.config().checkQuorum() && lease.enabled() && !core.tracker().hasQuorum(
                p -> lease.now() - p.heardAt() < core.config().electionTicks())) {
            // With leases, CheckQuorum looks at the last election timeout at every tick, not once per timeout, so a
            // deposed leader steps down when voters stop refusing votes for it, not up to a timeout later.
            core.logger().warn("{} [term {}] stepping down: no quorum heard from within an election timeout (not "
                    + "heard from: {})", core.id(), core.term(), core.tracker().silentVoters(core.tracker().voters(),
                    p -> lease.now() - p.heardAt() < core.config().electionTicks()));
            core.becomeFollower(core.term(), null);
            return;
        }
        heartbeatElapsed++;
        if (++electionElapsed >= core.config().electionTicks()) {
            electionElapsed = 0;
            if (core.config().checkQuorum() && !core.tracker().hasActiveQuorum()) {
                core.logger().warn("{} [term {}] stepping down: lost quorum (not heard from within an election "
                        + "timeout: {})", core.id(), core.term(),
                        core.tracker().silentVoters(core.tracker().voters(), Progress::isRecentActive));
                core.becomeFollower(core.term(), null);
                return;
            }
            core.tracker().clearRecentActive();
            if (transferee != null) {
                core.logger().info("{} [term {}] leadership transfer to {} timed out", core.id(), core.term(),
                        transferee);
                transferee = null;
            }
        }
        if (heartbeatElapsed >= core.config().heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
            resendStalled();
        }
    }

    /**
     * Raft §5.2: heartbeats are AppendEntries without entries. Each is anchored at the follower's known match index,
     * so it always passes the consistency check and carries the commit index safely. It also carries the current
     * ReadIndex round to every follower, paused or not (thesis §6.4).
     */
    void broadcastHeartbeat() {
        if (lease.enabled() && reads.openRound()) {
            lease.roundOpened(reads.seq());                 // every heartbeat renews the lease
        }
        RaftLog log = core.log();
        core.tracker().peers().forEach((id, pr) -> {
            long anchor = Math.max(pr.matchIndex(), log.firstIndex() - 1);   // compacted: the snapshot's index
            core.send(new AppendEntries(core.id(), id, core.term(), anchor, log.term(anchor), List.of(),
                    log.committed(), reads.seq()));
        });
        reads.onBroadcast();
    }

    /**
     * A last heartbeat to a member the committed configuration removed, before it is forgotten: it carries the commit
     * index, so a removed node that holds the removing entry learns it is committed and stops campaigning.
     */
    void sendFarewell(NodeId gone) {
        Progress pr = core.tracker().progress(gone);
        RaftLog log = core.log();
        long anchor = Math.max(pr.matchIndex(), log.firstIndex() - 1);
        core.send(new AppendEntries(core.id(), gone, core.term(), anchor, log.term(anchor), List.of(), log.committed(),
                reads.seq()));
    }

    /** Probes again every follower whose pipelined appends made no progress for a heartbeat interval. */
    private void resendStalled() {
        core.tracker().peers().forEach((id, pr) -> {
            if (pr.checkStalled()) {
                core.logger().debug("{} [term {}] no progress from {} for a heartbeat interval, probing from {}",
                        core.id(), core.term(), id, pr.nextIndex());
                sendAppend(id, false);
            }
        });
    }

    /** Sends new entries (or, with {@code sendIfEmpty}, at least the commit index) to every follower not paused. */
    void broadcastAppend(boolean sendIfEmpty) {
        for (NodeId id : core.tracker().peers().keySet()) {
            sendAppend(id, sendIfEmpty);
        }
    }

    /**
     * Sends the entries from the follower's next index on; in replicate mode keeps sending until the window is full
     * or the follower has everything (pipelining, so the leader never waits on one follower).
     */
    void sendAppend(NodeId to, boolean sendIfEmpty) {
        Progress pr = core.tracker().progress(to);
        RaftLog log = core.log();
        if (pr.mode() != ProgressMode.SNAPSHOT && pr.nextIndex() < log.firstIndex()) {
            if (pr.isSnapshotDeferred(ticks)) {
                return;                                      // backing off after failed sends
            }
            core.logger().info("{} [term {}] {} needs entries from {}, compacted up to {}: sending the snapshot at {}",
                    core.id(), core.term(), to, pr.nextIndex(), log.firstIndex() - 1, log.snapshotIndex());
            pr.becomeSnapshot(log.snapshotIndex());
            core.requestSnapshotSend(to);
            return;
        }
        boolean first = true;
        while (!pr.isPaused() && (pr.nextIndex() <= log.lastIndex() || (first && sendIfEmpty))) {
            long prev = pr.nextIndex() - 1;
            List<LogEntry> entries = log.entries(pr.nextIndex(), log.lastIndex() + 1,
                    core.config().flow().maxBytesPerMessage());
            long bytes = 0;
            for (LogEntry e : entries) {
                bytes += e.sizeBytes();
            }
            core.send(new AppendEntries(core.id(), to, core.term(), prev, log.term(prev), entries, log.committed(),
                    reads.seq()));
            pr.onSent(entries.size(), prev + entries.size(), bytes);
            first = false;
            if (pr.mode() == ProgressMode.PROBE) {
                return;
            }
        }
    }

    /** See {@link RaftCore#onSnapshotSent}. */
    void onSnapshotSent(NodeId peer, long index, boolean success) {
        Progress pr = core.tracker().progress(peer);
        if (pr == null || pr.pendingSnapshot() != index) {
            return;
        }
        pr.onSnapshotDone(success);
        if (!success && !pr.isRecentActive()) {
            pr.forgetSnapshotFailures();                    // silent (cut off, down): retrying costs nothing
        }
        long wait = success ? 0 : snapshotBackoffTicks(pr.snapshotFailures(), core.config().electionTicks());
        pr.deferSnapshotUntil(ticks + wait);
        if (wait == 0) {
            core.logger().info("{} [term {}] snapshot at {} to {} {}", core.id(), core.term(), index, peer,
                    success ? "installed" : "failed; probing again");
        } else {
            core.logger().warn("{} [term {}] snapshot at {} to {} failed {} times in a row; sending one again in {} "
                    + "ticks at the earliest", core.id(), core.term(), index, peer, pr.snapshotFailures(), wait);
        }
        sendAppend(peer, true);
    }

    /**
     * How long to hold back the next snapshot send to a follower after {@code failures} failed in a row while it was
     * heard from: a first failure (a follower that restarted) is retried at once; then an election timeout, doubling
     * up to 32 of them, so a follower that cannot take a snapshot (its disk full, say) or a snapshot this leader
     * cannot read does not have the leader stream it in a loop. Failures while the follower is silent (a partition, a
     * crash: the sender gave up after its stall timeouts) do not count, so it gets the snapshot as soon as it is back.
     */
    static long snapshotBackoffTicks(int failures, int electionTicks) {
        return failures <= 1 ? 0 : (long) electionTicks << Math.min(failures - 2, 5);
    }

    @Override
    void onAppendEntries(AppendEntries m) {
        warnSecondLeader(m, core.id());
    }

    @Override
    void onInstallSnapshot(InstallSnapshot m) {
        warnSecondLeader(m, core.id());
    }

    @Override
    void onAppendEntriesResponse(AppendEntriesResponse m) {
        Progress pr = core.tracker().progress(m.from());
        if (pr == null || beyondLog(m)) {
            ignore(m);
            return;
        }
        pr.markRecentActive();
        pr.onReadSeqEchoed(m.readSeq());
        core.confirmReads();
        if (!m.success()) {
            if (m.rejectedIndex() > 0 && m.rejectedIndex() == pr.matchIndex()) {
                long resume = resumeIndexFromHint(m);
                if (warnedDataLoss.add(m.from())) {
                    core.logger().warn("{} [term {}] {} lacks index {} it acknowledged (its data was lost, or an "
                            + "older answer arrived late); replicating again from {}", core.id(), core.term(),
                            m.from(), m.rejectedIndex(), resume);
                } else {
                    core.logger().debug("{} [term {}] {} again lacks index {}; from {}", core.id(), core.term(),
                            m.from(), m.rejectedIndex(), resume);
                }
                pr.onDataLoss(resume);
                sendAppend(m.from(), true);
                return;
            }
            if (m.rejectedIndex() > 0 && pr.onRejected(m.rejectedIndex(), resumeIndexFromHint(m))) {
                core.logger().debug("{} [term {}] {} rejected {}, probing from {}", core.id(), core.term(),
                        m.from(), m.rejectedIndex(), pr.nextIndex());
                sendAppend(m.from(), true);
            } else if (m.rejectedIndex() > pr.matchIndex()) {
                // A heartbeat anchored at the compaction point, above the match: no news, like an accepted one.
                pr.onHeartbeatAcknowledged();
                sendAppend(m.from(), needsProbe(pr));
            }
            return;
        }
        if (pr.onAccepted(m.matchIndex())) {
            if (pr.mode() == ProgressMode.PROBE) {
                pr.becomeReplicate();
            }
            core.maybeCommit();
            if (core.role() != this) {
                return;                                      // removed by what just committed: stepped down
            }
            sendAppend(m.from(), false);
            if (m.from().equals(transferee) && pr.matchIndex() == core.log().lastIndex()) {
                sendTimeoutNow(transferee);
            }
        } else {
            pr.onHeartbeatAcknowledged();
            // What a full window held back (losses: resendStalled); a probing follower gets its probe even when there
            // is no entry to send (a member just added is probed at the last index, and may lack far more).
            sendAppend(m.from(), needsProbe(pr));
        }
    }

    /** A probing follower not known to hold the whole log gets a probe, entries or not (etcd does the same). */
    private boolean needsProbe(Progress pr) {
        return pr.mode() == ProgressMode.PROBE && pr.matchIndex() < core.log().lastIndex();
    }

    /**
     * Reads the follower's hint (Raft §5.3): if this log holds the conflicting term, resume after its last entry of
     * that term; otherwise skip the follower's whole term, and every index where this log has a later term.
     */
    /**
     * Whether {@code m} names an index past this leader's last: an acknowledgement of entries it never sent, or a
     * rejection of an append it never made (a leader's log only grows within its term). No follower of this cluster
     * can send one (Leader Completeness: a leader holds every committed entry, and a follower's match or commit never
     * passes it), so the member's data is not this cluster's (a snapshot copied in from elsewhere, say) or the peer
     * is broken. Such a response is ignored: it does not count toward a commit, and it cannot move the member's
     * next index past the log, where no term would anchor the next append. WARN once per member and term.
     */
    private boolean beyondLog(AppendEntriesResponse m) {
        long named = m.success() ? m.matchIndex() : m.rejectedIndex();
        long last = core.log().lastIndex();
        if (named <= last) {
            return false;
        }
        if (warnedBeyondLog.add(m.from())) {
            core.logger().warn("{} [term {}] {} names index {}, past this leader's last index {}: its data is not "
                    + "this cluster's log (a snapshot or log copied from elsewhere?); ignoring its responses",
                    core.id(), core.term(), m.from(), named, last);
        }
        return true;
    }

    private long resumeIndexFromHint(AppendEntriesResponse m) {
        if (m.conflictTerm() == 0) {
            return m.conflictIndex();
        }
        RaftLog log = core.log();
        long j = log.lastIndexWithTermAtMost(m.conflictTerm(), m.rejectedIndex());
        if (j > 0 && log.term(j) == m.conflictTerm()) {
            return j + 1;
        }
        return Math.min(m.conflictIndex(), j + 1);
    }

    /**
     * Thesis §3.10: stop accepting proposals, bring {@code target} up to date, then tell it to campaign at once.
     */
    void transferLeadership(NodeId target) {
        Progress pr = core.tracker().progress(target);
        if (target.equals(transferee)) {
            return;
        }
        core.logger().info("{} [term {}] transferring leadership to {}", core.id(), core.term(), target);
        transferee = target;
        electionElapsed = 0;
        if (pr.matchIndex() == core.log().lastIndex()) {
            sendTimeoutNow(target);
        } else {
            sendAppend(target, true);
        }
    }

    private void sendTimeoutNow(NodeId target) {
        lease.breakForTransfer();
        core.send(new TimeoutNow(core.id(), target, core.term()));
    }
}
