package org.raftlib.internal.core;

import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/** Figure 2's "Rules for All Servers" about terms: what a message of a higher or lower term does to a node. */
final class TermRules {

    private TermRules() {
    }

    /**
     * Figure 2: "If RPC request or response contains term T &gt; currentTerm: set currentTerm = T, convert to
     * follower". Vote requests are the exception while a leader is known to be live (thesis §4.2.3): heard from
     * within the election timeout T. Leader leases ({@link Lease}) rest on this; with leases on, a node also refuses
     * votes for its first T ticks, since it may have acknowledged a leader just before it crashed and forgot it.
     */
    static boolean onHigherTerm(RaftCore core, RaftMessage m) {
        if (m instanceof RequestVote v) {
            boolean inLease = core.config().checkQuorum() && (core.holdsBackVotes() || core.currentLeader().isPresent()
                    && core.role().electionElapsed() < core.config().electionTicks());
            if (inLease && !v.leadershipTransfer()) {
                core.logger().debug("{} [term {}] ignored {} from {}: leader {} is live (thesis §4.2.3)",
                        core.id(), core.term(), v.preVote() ? "pre-vote" : "vote request", v.from(),
                        core.currentLeader().orElse(null));
                return false;
            }
            if (!v.preVote()) {
                core.becomeFollower(m.term(), null);
            }
            return true;
        }
        if (m instanceof RequestVoteResponse r && r.preVote() && r.voteGranted()) {
            return true;                                     // carries the term we would campaign in
        }
        boolean fromLeader = m instanceof AppendEntries || m instanceof InstallSnapshot || m instanceof TimeoutNow;
        core.becomeFollower(m.term(), fromLeader ? m.from() : null);
        return true;
    }

    /**
     * §5.1: a stale term is answered with ours so the sender steps down. An AppendEntries from a stale leader gets a
     * response even under PreVote and CheckQuorum, and a stale vote or pre-vote request a rejection carrying our term
     * (Figure 2, RequestVote receiver 1: "Reply false if term &lt; currentTerm"), so a node whose term ran ahead
     * cannot deadlock elections (etcd-io/raft #8243).
     */
    static void onLowerTerm(RaftCore core, RaftMessage m) {
        if (m instanceof AppendEntries) {
            core.send(AppendEntriesResponse.rejectedStaleTerm(core.id(), m.from(), core.term()));
        } else if (m instanceof RequestVote v) {
            core.send(new RequestVoteResponse(core.id(), m.from(), core.term(), false, v.preVote()));
        } else {
            core.logger().debug("{} [term {}] ignored stale {}", core.id(), core.term(), MessageFormat.describe(m));
        }
    }

}
