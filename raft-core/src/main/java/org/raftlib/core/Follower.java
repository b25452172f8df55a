package org.raftlib.core;

import org.raftlib.RaftRole;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.TimeoutNow;

/** A follower: answers a leader and starts an election when it stops hearing from one (Raft §5.2). */
final class Follower extends Role {

    private final int randomizedElectionTicks;
    private int electionElapsed;
    /** The highest index this node has checked to match the current leader's log (Figure 2 consistency check). */
    private long leaderMatch;

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
    void tick() {
        if (++electionElapsed >= randomizedElectionTicks && core.isPromotable()) {
            core.startElection(false);
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
        core.acceptAppendEntries(m, this);
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

    @Override
    void onInstallSnapshot(InstallSnapshot m) {
        electionElapsed = 0;
        core.logger().warn("{} [term {}] cannot install a snapshot from {}: snapshots are not supported yet",
                core.id(), core.term(), m.from());
    }

    /** Thesis §3.10: the leader hands leadership over; campaign at once, skipping pre-vote. */
    @Override
    void onTimeoutNow(TimeoutNow m) {
        if (core.isPromotable()) {
            core.logger().info("{} [term {}] received TimeoutNow from {}, campaigning", core.id(), core.term(),
                    m.from());
            core.startElection(true);
        }
    }
}
