package org.raftlib.internal.core;

import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.quorum.VoteResult;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;

/**
 * A candidate (Raft §5.2) or pre-candidate (thesis §9.6) collecting votes. A pre-candidate has not raised its term;
 * once a majority would vote for it, it becomes a real candidate.
 */
final class Candidate extends Role {

    private final boolean preVote;
    private final int randomizedElectionTicks;
    private int electionElapsed;

    Candidate(RaftCore core, boolean preVote) {
        super(core);
        this.preVote = preVote;
        this.randomizedElectionTicks = randomizedElectionTicks();
    }

    @Override
    RaftRole kind() {
        return preVote ? RaftRole.PRE_CANDIDATE : RaftRole.CANDIDATE;
    }

    @Override
    int electionElapsed() {
        return electionElapsed;
    }

    @Override
    int electionTimeoutTicks() {
        return randomizedElectionTicks;
    }

    boolean isPreVote() {
        return preVote;
    }

    /** Asks every other voter for its (pre-)vote in {@code electionTerm}; {@code transfer}: ignore leases. */
    void requestVotes(long electionTerm, boolean transfer) {
        RaftLog log = core.log();
        for (NodeId peer : core.tracker().otherVoters()) {
            core.send(new RequestVote(core.id(), peer, electionTerm, log.lastIndex(), log.lastTerm(), preVote,
                    transfer));
        }
    }

    /** Raft §5.2: "If election timeout elapses: start new election." */
    @Override
    void tick() {
        if (++electionElapsed >= randomizedElectionTicks) {
            core.startElection(false, "the election for term " + core.term() + " found no winner in time");
        }
    }

    /** Raft §5.2: "If AppendEntries RPC received from new leader: convert to follower." */
    @Override
    void onAppendEntries(AppendEntries m) {
        core.becomeFollower(m.term(), m.from());
        core.role().onAppendEntries(m);
    }

    @Override
    void onInstallSnapshot(InstallSnapshot m) {
        core.becomeFollower(m.term(), m.from());
        core.role().onInstallSnapshot(m);
    }

    @Override
    void onRequestVoteResponse(RequestVoteResponse m) {
        if (m.preVote() != preVote) {
            ignore(m);
            return;
        }
        core.tracker().recordVote(m.from(), m.voteGranted());
        tally();
    }

    /** The candidate's own vote counts once it is durable; a pre-vote's at once. */
    void voteForSelf() {
        core.tracker().recordVote(core.id(), true);
        tally();
    }

    /**
     * A real candidate wins only with its own vote counted, and that vote is recorded only once the hard state holding
     * the new term and the self vote is durable ({@link RaftCore#onPersisted}). Without it, the other voters alone can
     * make a majority (two of three), and a crash before the hard state reached the disk would let this node campaign
     * for, win and lead the same term a second time with a different log.
     */
    private void tally() {
        VoteResult result = core.tracker().voteResult();
        if (result == VoteResult.WON && !preVote && !core.tracker().hasVoteFrom(core.id())) {
            return;                                          // wait for the durable self vote
        }
        if (result == VoteResult.WON) {
            if (preVote) {
                core.becomeCandidate(false);
            } else {
                core.becomeLeader();
            }
        } else if (result == VoteResult.LOST) {
            core.logger().info("{} [term {}] lost the {}election", core.id(), core.term(), preVote ? "pre-" : "");
            core.becomeFollower(core.term(), null);
        }
    }
}
