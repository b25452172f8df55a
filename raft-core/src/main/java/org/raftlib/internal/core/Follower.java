package org.raftlib.internal.core;

import java.util.List;
import org.raftlib.LogEntry;
import org.raftlib.RaftRole;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;

/** A follower: answers a leader and starts an election when it stops hearing from one (Raft §5.2). */
final class Follower extends Role {

    private final int randomizedElectionTicks;
    private int electionElapsed;
    /** The highest index this node has checked to match the current leader's log (Figure 2 consistency check). */
    private long leaderMatch;
    /** The highest commit index a leader of this term announced, whether or not this node holds the entries. */
    private long leaderCommit;

    Follower(RaftCore core) {
        super(core);
        this.randomizedElectionTicks = randomizedElectionTicks();
    }

    @Override
    RaftRole kind() {
        return RaftRole.FOLLOWER;
    }

    @Override
    int electionElapsed() {
        return electionElapsed;
    }

    @Override
    int electionTimeoutTicks() {
        return randomizedElectionTicks;
    }

    /**
     * After an election timeout without hearing from the leader a voter campaigns; a node that may not (a learner, a
     * joining or removed node) stops naming the leader it no longer hears from, so that its requests fail at once
     * and its health reads not ready, until a leader's message names one again.
     */
    @Override
    void tick() {
        if (++electionElapsed >= randomizedElectionTicks) {
            if (core.isPromotable()) {
                core.startElection(false, core.currentLeader().map(l -> "heard nothing from the leader " + l
                        + " for an election timeout").orElse("knows no leader after an election timeout"));
            } else if (core.currentLeader().isPresent()) {
                core.logger().info("{} [term {}] heard nothing from the leader {} for an election timeout; as a"
                        + " non-voter it does not campaign, and knows no leader until one reaches it", core.id(),
                        core.term(), core.currentLeader().get());
                core.followLeader(null);
            }
        }
    }

    /**
     * Figure 2, Followers: "If election timeout elapses without receiving AppendEntries RPC from current leader or
     * granting vote to candidate: convert to candidate." A granted vote restarts the timer.
     */
    void onVoteGranted() {
        electionElapsed = 0;
    }

    @Override
    void onAppendEntries(AppendEntries m) {
        electionElapsed = 0;
        leaderCommit = Math.max(leaderCommit, m.leaderCommit());
        acceptAppendEntries(m);
    }

    /** The highest commit index a leader of this term announced (it may lie beyond this node's log). */
    long leaderCommit() {
        return leaderCommit;
    }

    /** Raft §7 receiver, once the runtime stored the leader's snapshot; see {@link RaftCore#installSnapshot}. */
    boolean installSnapshot(SnapshotPoint point, IndexedConfig config, RaftMessage reply) {
        electionElapsed = 0;
        core.send(reply);
        return core.resetToSnapshot(point, config);
    }

    long leaderMatch() {
        return leaderMatch;
    }

    /**
     * Records that the log matches the leader's up to {@code index}. Within one term the leader only appends, so
     * entries once checked stay matching for as long as this node follows it (a new term makes a new follower).
     */
    void matchedLeaderTo(long index) {
        leaderMatch = Math.max(leaderMatch, index);
    }

    /**
     * Raft §7: a chunk of the leader's snapshot counts as hearing from the leader; the runtime receives the chunks and
     * calls {@link RaftCore#installSnapshot} once the whole snapshot is durable.
     */
    @Override
    void onInstallSnapshot(InstallSnapshot m) {
        electionElapsed = 0;
        follow(m);
    }

    /** Follows the sender of {@code m}, an AppendEntries or InstallSnapshot of this term; says so if another led it. */
    private void follow(RaftMessage m) {
        core.currentLeader().filter(l -> !l.equals(m.from())).ifPresent(l -> warnSecondLeader(m, l));
        core.followLeader(m.from());
    }

    /**
     * Thesis §3.10: the leader tells the target of a transfer to campaign at once. Only the leader this node follows
     * may: from anyone else it would start an election that skips PreVote and overrides the voters' lease. Campaigns
     * at once, skipping pre-vote.
     */
    @Override
    void onTimeoutNow(TimeoutNow m) {
        if (!core.currentLeader().map(m.from()::equals).orElse(false)) {
            if (firstWarning("timeout-now")) {
                core.logger().warn("{} [term {}] ignored TimeoutNow from {}: only the leader ({}) hands over"
                        + " leadership", core.id(), core.term(), m.from(), core.currentLeader().orElse(null));
            } else {
                ignore(m);
            }
            return;
        }
        if (core.isPromotable()) {
            core.logger().info("{} [term {}] received TimeoutNow from {}, campaigning", core.id(), core.term(),
                    m.from());
            core.startElection(true, "TimeoutNow from " + m.from());
        }
    }

    /**
     * AppendEntries receiver, Figure 2 steps 2-5: check that the log holds {@code prevLogIndex} with
     * {@code prevLogTerm}, else reject with a hint; append what is new; advance the commit index.
     */
    private void acceptAppendEntries(AppendEntries m) {
        follow(m);
        RaftLog log = core.log();
        long prev = m.prevLogIndex();
        long prevTerm = m.prevLogTerm();
        List<LogEntry> entries = m.entries();
        if (prev < log.committed()) {                        // entries up to the commit index are known to match
            refuseIfCommittedDiffers(m);
            if (m.lastIndex() <= log.committed()) {
                commitMatching(m);
                core.send(AppendEntriesResponse.accepted(core.id(), m.from(), core.term(), log.committed(),
                        m.readSeq()));
                return;
            }
            int skip = (int) (log.committed() - prev);
            prevTerm = entries.get(skip - 1).term();
            prev = log.committed();
            entries = entries.subList(skip, entries.size());
        }
        if (!log.matchTerm(prev, prevTerm)) {
            rejectAppend(m, prev);
            return;
        }
        long lastBefore = log.lastIndex();
        long removedFrom = log.appendFromLeader(entries);
        if (removedFrom > 0) {
            core.logger().info("{} [term {}] removed its uncommitted entries {}..{}: they conflict with the log of"
                    + " leader {}", core.id(), core.term(), removedFrom, lastBefore, m.from());
        }
        long lastNew = prev + entries.size();
        matchedLeaderTo(lastNew);
        commitMatching(m);
        core.send(AppendEntriesResponse.accepted(core.id(), m.from(), core.term(), lastNew, m.readSeq()));
    }

    /**
     * A leader's log holds every committed entry (Leader Completeness, §5.4), so one that disagrees with an entry this
     * node committed proves the two logs are not one cluster's history: this node's data was restored from an older
     * copy, copied from another node, or written while it was bootstrapped with other members. Taking the leader's
     * entries would rewrite what it applied and served; keeping its own would serve another history as this
     * cluster's. It stops instead.
     *
     * @throws IllegalStateException if the logs disagree at or below this node's commit index
     */
    private void refuseIfCommittedDiffers(AppendEntries m) {
        RaftLog log = core.log();
        long at = log.conflictWithCommitted(m.prevLogIndex(), m.prevLogTerm(), m.entries());
        if (at < 0) {
            return;
        }
        long leaderTerm = at == m.prevLogIndex() ? m.prevLogTerm() : m.entries().get((int) (at - m.prevLogIndex() - 1))
                .term();
        throw new IllegalStateException(core.id() + " [term " + core.term() + "] committed index " + at + " in term "
                + log.term(at) + ", but leader " + m.from() + " holds it in term " + leaderTerm + ": this node's"
                + " data or its leader's is not this cluster's log (restored from an older copy, copied from another"
                + " node, or written while bootstrapped with other members); stopping. Find out which side's data"
                + " came from elsewhere before replacing any member: the leader may be the foreign one");
    }

    /**
     * Figure 2, AppendEntries receiver 5: commit up to {@code min(leaderCommit, index of last new entry)}, where the
     * last new entry is the highest index checked to match this leader in this term, not only this message's: a
     * heartbeat anchored below what the follower already holds (the leader's view of its match lags) still carries
     * the commit index to every entry this follower is known to share with the leader.
     */
    private void commitMatching(AppendEntries m) {
        RaftLog log = core.log();
        log.commitTo(Math.min(m.leaderCommit(), Math.min(leaderMatch, log.lastIndex())));
    }

    /** The hint (Raft §5.3): the term at {@code prev} and the first index of it, or our last index + 1. */
    private void rejectAppend(AppendEntries m, long prev) {
        long conflictTerm = 0;
        RaftLog log = core.log();
        long conflictIndex = log.lastIndex() + 1;
        if (prev <= log.lastIndex()) {
            conflictTerm = log.term(prev);
            conflictIndex = Math.max(log.lastIndexWithTermAtMost(conflictTerm - 1, prev) + 1, log.firstIndex());
        }
        core.logger().debug("{} [term {}] rejected append at {} from {}, hint {}/{}", core.id(), core.term(), prev,
                m.from(), conflictTerm, conflictIndex);
        core.send(AppendEntriesResponse.rejected(core.id(), m.from(), core.term(), prev, conflictTerm, conflictIndex,
                m.readSeq()));
    }
}
