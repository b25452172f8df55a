package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;

/**
 * Linearizable reads (Raft thesis §6.4): a leader's own, confirmed by a heartbeat round or its lease; those followers
 * forward to it ({@link ReadIndexRequest}), answered once confirmed; and this node's reads forwarded to its leader
 * ({@link ForwardedReads}).
 *
 * <p>A forwarded read is linearizable for the same reason a leader's is: the leader registers it after the follower
 * sent it, confirms it still leads after that, and the follower serves it only once it has applied the read index.
 */
final class Reads {

    private final RaftCore core;
    private final List<ReadState> confirmed = new ArrayList<>();
    private final List<Long> aborted = new ArrayList<>();
    private final ForwardedReads forwarded;

    Reads(RaftCore core) {
        this.core = core;
        this.forwarded = new ForwardedReads(core);
    }

    /** See {@link RaftCore#readIndex} and {@link RaftCore#leaseRead}. */
    Proposal read(long requestId, boolean lease) {
        Leader l = core.accepting();
        if (l == null) {
            Optional<NodeId> leader = core.currentLeader();
            if (core.currentRole() == RaftRole.FOLLOWER && leader.isPresent()) {
                forwarded.add(requestId, lease, leader.get());
                return Proposal.forwarded(leader.get());
            }
            return core.refusal();
        }
        if (lease && l.leaseHolds()) {
            confirmed.add(new ReadState(requestId, l.readIndex()));
            return Proposal.accepted(l.readIndex(), core.term());
        }
        long index = l.registerRead(null, requestId);
        core.logger().debug("{} [term {}] registered read {} at index {}, round {}", core.id(), core.term(),
                requestId, index, l.reads().seq());
        confirm();
        return Proposal.accepted(index, core.term());
    }

    /**
     * Handles the messages of client requests, which bypass the term rules; drops forwarded proposals, which the
     * runtime handles before they reach the core.
     *
     * @return whether {@code m} was one of them
     */
    boolean handled(RaftMessage m) {
        if (m instanceof ReadIndexRequest r) {
            onRequest(r);
        } else if (m instanceof ReadIndexResponse r) {
            forwarded.onResponse(r, confirmed, aborted);
        } else if (m instanceof ForwardProposal || m instanceof ForwardProposalResponse) {
            core.logger().debug("{} dropped a proposal message the runtime handles: {}", core.id(),
                    MessageFormat.describe(m));
        } else {
            return false;
        }
        return true;
    }

    /**
     * A follower's read: answered at once under the lease, after a round otherwise, refused if not leading, and
     * refused to a node outside the configuration (removed, or not yet added): it would wait forever to apply an
     * index it is no longer sent.
     */
    private void onRequest(ReadIndexRequest m) {
        Leader l = core.accepting();
        if (l == null || core.tracker().progress(m.from()) == null) {
            core.send(new ReadIndexResponse(core.id(), m.from(), core.term(), m.requestId(), false, 0));
        } else if (m.lease() && l.leaseHolds()) {
            core.send(new ReadIndexResponse(core.id(), m.from(), core.term(), m.requestId(), true, l.readIndex()));
        } else {
            l.registerRead(m.from(), m.requestId());
            confirm();
        }
    }

    /** Forwarded reads unanswered for an election timeout fail (the request or its answer may be lost). */
    void tick() {
        forwarded.tick(aborted);
    }

    /** Thesis §6.4: confirms the pending reads whose round a quorum has echoed. */
    void confirm() {
        if (core.role() instanceof Leader l && l.reads().hasPending()) {
            settle(l.reads().confirm(core.tracker().quorumReadSeq(l.reads().seq())), true);
        }
    }

    /** The leader steps down: its pending reads can no longer be confirmed. */
    void abort(Leader l) {
        settle(l.abortReads(), false);
    }

    private void settle(List<ReadIndexQueue.PendingRead> reads, boolean ok) {
        for (ReadIndexQueue.PendingRead r : reads) {
            if (r.origin() != null) {
                core.send(new ReadIndexResponse(core.id(), r.origin(), core.term(), r.requestId(), ok,
                        ok ? r.index() : 0));
            } else if (ok) {
                confirmed.add(new ReadState(r.requestId(), r.index()));
            } else {
                aborted.add(r.requestId());
            }
        }
    }

    /** Whether this leader should broadcast a heartbeat for its open read round now; see ReadIndexQueue#roundDue. */
    boolean roundDue() {
        return core.role() instanceof Leader l && l.reads().roundDue(core.tracker().quorumReadSeq(l.reads().seq()));
    }

    boolean hasResults() {
        return !confirmed.isEmpty() || !aborted.isEmpty();
    }

    List<ReadState> takeConfirmed() {
        List<ReadState> out = List.copyOf(confirmed);
        confirmed.clear();
        return out;
    }

    List<Long> takeAborted() {
        List<Long> out = List.copyOf(aborted);
        aborted.clear();
        return out;
    }
}
