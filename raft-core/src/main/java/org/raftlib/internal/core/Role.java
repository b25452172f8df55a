package org.raftlib.internal.core;

import java.util.HashSet;
import java.util.Set;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.progress.Progress;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/**
 * Behaviour that differs by role. A new instance replaces the old one on every role change, so timers and
 * per-role state start afresh. Messages a role has no use for are dropped with a DEBUG log.
 */
abstract sealed class Role permits Follower, Candidate, Leader {

    protected final RaftCore core;
    private final Set<String> warned = new HashSet<>();

    Role(RaftCore core) {
        this.core = core;
    }

    /**
     * Whether this role has not logged a WARN about {@code oddity} yet (a term past {@link TermRules#MAX_TERM}, a
     * TimeoutNow from a node that does not lead): what only a broken or hostile peer sends is logged at WARN once per
     * role, and at DEBUG after that, so that a flood of it cannot flood the log.
     */
    final boolean firstWarning(String oddity) {
        return warned.add(oddity);
    }

    abstract RaftRole kind();

    /** Hands {@code m} (of this node's term) to its handler; a leader drops messages of non-members. */
    final void dispatch(RaftMessage m) {
        if (this instanceof Leader l) {
            Progress pr = core.tracker().progress(m.from());
            if (pr == null) {
                core.logger().debug("{} [term {}] dropped message from a non-member: {}", core.id(), core.term(),
                        MessageFormat.describe(m));
                return;
            }
            pr.markRecentActive();
            l.heardFrom(pr);
        }
        switch (m.type()) {
            case REQUEST_VOTE -> onRequestVote((RequestVote) m);
            case REQUEST_VOTE_RESPONSE -> onRequestVoteResponse((RequestVoteResponse) m);
            case APPEND_ENTRIES -> onAppendEntries((AppendEntries) m);
            case APPEND_ENTRIES_RESPONSE -> onAppendEntriesResponse((AppendEntriesResponse) m);
            case INSTALL_SNAPSHOT -> onInstallSnapshot((InstallSnapshot) m);
            case INSTALL_SNAPSHOT_RESPONSE -> onInstallSnapshotResponse((InstallSnapshotResponse) m);
            case TIMEOUT_NOW -> onTimeoutNow((TimeoutNow) m);
            default -> throw new IllegalStateException("no dispatch for " + m.type());
        }
    }

    abstract void tick();

    /** Ticks since this node last heard from a leader (or, on a leader, since the last quorum check). */
    abstract int electionElapsed();

    /** The tick count at which {@link #electionElapsed()} fires: the randomized timeout, or a leader's check period. */
    abstract int electionTimeoutTicks();

    /**
     * RequestVote receiver (Raft §5.2, §5.4.1): grant if we have not voted for another candidate in this term (and
     * know no leader of it), and the candidate's log is at least as up to date as ours. A pre-vote changes nothing.
     */
    final void onRequestVote(RequestVote v) {
        boolean canVote = v.from().equals(core.votedFor())
                || (core.votedFor() == null && core.currentLeader().isEmpty())
                || (v.preVote() && v.term() > core.term());
        boolean upToDate = core.log().isUpToDate(v.lastLogIndex(), v.lastLogTerm());
        // A joining node that has received nothing yet (no configuration, empty log) votes for nobody: it may be a
        // member replaced under the same id whose wiped disk forgot a vote it cast. Once a leader reached it, it votes
        // as usual (it may already count as a voter before its log holds the configuration saying so).
        boolean member = !core.configuration().members().isEmpty() || core.log().lastIndex() > 0;
        if (canVote && upToDate && member) {
            long replyTerm = v.preVote() ? v.term() : core.term();
            core.send(new RequestVoteResponse(core.id(), v.from(), replyTerm, true, v.preVote()));
            if (!v.preVote()) {
                core.voteFor(v.from());
                if (this instanceof Follower f) {
                    f.onVoteGranted();
                }
                core.logger().info("{} [term {}] granted vote to {}", core.id(), core.term(), v.from());
            }
            return;
        }
        core.logger().debug("{} [term {}] rejected {} for {}: {}", core.id(), core.term(),
                v.preVote() ? "pre-vote" : "vote", v.from(),
                !member ? "no configuration yet" : canVote ? "log not up to date" : "already voted");
        core.send(new RequestVoteResponse(core.id(), v.from(), core.term(), false, v.preVote()));
    }

    void onAppendEntries(AppendEntries m) {
        ignore(m);
    }

    /**
     * {@code m.from()} sends what only a leader sends, in a term that {@code leader} leads: Election Safety (Figure 3)
     * says two leaders of one term cannot be, so the sender is broken or hostile. WARN once per role.
     */
    final void warnSecondLeader(RaftMessage m, NodeId leader) {
        if (firstWarning("second leader")) {
            core.logger().warn("{} [term {}] {} sent {} as a leader of term {}, which {} leads: two leaders in one term"
                    + " (a broken or hostile peer?)", core.id(), core.term(), m.from(), m.type(), m.term(), leader);
        } else {
            ignore(m);
        }
    }

    void onAppendEntriesResponse(AppendEntriesResponse m) {
        ignore(m);
    }

    void onRequestVoteResponse(RequestVoteResponse m) {
        ignore(m);
    }

    void onInstallSnapshot(InstallSnapshot m) {
        ignore(m);
    }

    void onInstallSnapshotResponse(InstallSnapshotResponse m) {
        ignore(m);
    }

    void onTimeoutNow(TimeoutNow m) {
        ignore(m);
    }

    protected final void ignore(RaftMessage m) {
        core.logger().debug("{} [term {}] {} ignored {}", core.id(), core.term(), kind(), MessageFormat.describe(m));
    }

    /** Draws an election timeout in [T, 2T) ticks (Raft §5.2: randomized, so split votes resolve). */
    protected final int randomizedElectionTicks() {
        int t = core.config().electionTicks();
        return t + core.config().random().nextInt(t);
    }
}
