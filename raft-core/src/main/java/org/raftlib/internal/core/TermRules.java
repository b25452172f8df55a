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

    /**
     * Terms up to {@code Long.MAX_VALUE - 2^40} are taken from any message, as Figure 2 says; past it, only a step of
     * at most {@link #MAX_STEP_PAST_CAP} above this node's own term. No cluster comes near the cap by elections, so
     * only a broken or hostile peer does, and without the cap a term near {@code Long.MAX_VALUE} from one message
     * would overflow at the next election and fail the node, and every node that learnt the term from it, again after
     * every restart (the term is durable). Below the cap the highest term spreads to every node, so an absurd term
     * costs an election and leaves 2^40 of them. The cap used to be 2^62, with small steps past it: a peer that
     * walked two nodes to different terms past 2^62, more than a step apart, left them ignoring each other's messages
     * for good, and no majority could elect a leader again (an outside probe, 15 messages). The steps past the cap
     * keep elections going if a peer sent the cap itself.
     */
    static final long MAX_TERM = Long.MAX_VALUE - (1L << 40);
    /** See {@link #MAX_TERM}. */
    static final long MAX_STEP_PAST_CAP = 1L << 20;

    private TermRules() {
    }

    /**
     * Figure 2: "If RPC request or response contains term T &gt; currentTerm: set currentTerm = T, convert to
     * follower", within {@link #MAX_TERM}. Vote requests are the exception while a leader is known to be live
     * (thesis §4.2.3): heard from within the election timeout T. Leader leases ({@link Lease}) rest on this; with
     * leases on, a node also refuses votes for its first T ticks, since it may have acknowledged a leader just before
     * it crashed and forgot it.
     */
    static boolean onHigherTerm(RaftCore core, RaftMessage m) {
        if (m.term() > MAX_TERM && m.term() - core.term() > MAX_STEP_PAST_CAP) {
            if (core.role().firstWarning("term past the cap")) {
                core.logger().warn("{} [term {}] ignored {} from {}: its term {} is within 2^40 of the largest term"
                        + " (a broken or hostile peer?)", core.id(), core.term(), m.type(), m.from(), m.term());
            } else {
                core.logger().debug("{} [term {}] ignored {}: term past the cap", core.id(), core.term(),
                        MessageFormat.describe(m));
            }
            return false;
        }
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
