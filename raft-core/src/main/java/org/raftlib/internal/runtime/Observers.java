package org.raftlib.internal.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.raftlib.ClusterConfig;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftException;
import org.raftlib.RaftListener;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.RaftCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's view outward: notices role and leader changes and tells listeners (on the apply thread), follows a
 * leadership transfer to its end, and builds status snapshots. Confined to the node loop.
 */
final class Observers {

    private static final Logger LOG = LoggerFactory.getLogger(Observers.class);

    private final RaftCore core;
    private final NodeParts parts;
    private RaftRole role;
    private long term = -1;
    private NodeId leader;
    private Event.Transfer transfer;
    private int transferTicksLeft;

    Observers(RaftCore core, NodeParts parts) {
        this.core = core;
        this.parts = parts;
    }

    void observe(RaftRole newRole, long newTerm) {
        if (newRole != role || newTerm != term) {
            role = newRole;
            term = newTerm;
            notifyListeners(l -> l.onRoleChange(newRole, newTerm));
        }
        NodeId newLeader = core.currentLeader().orElse(null);
        if (!Objects.equals(newLeader, leader)) {
            if (newLeader != null) {
                LOG.info("{} [term {}] leader is {}", parts.id(), newTerm, newLeader);   // every node, once a change
            }
            leader = newLeader;
            Optional<NodeId> l = Optional.ofNullable(newLeader);
            notifyListeners(x -> x.onLeaderChange(l, newTerm));
            settleTransfer();
        }
    }

    private void notifyListeners(java.util.function.Consumer<RaftListener> call) {
        for (RaftListener l : parts.listeners()) {
            parts.apply().submit((Runnable) () -> call.accept(l));
        }
    }

    void transfer(Event.Transfer t) {
        if (transfer != null) {
            fail(t, new RaftException("a leadership transfer to " + transfer.target() + " is in progress"));
            return;
        }
        if (core.currentRole() != RaftRole.LEADER) {
            fail(t, new NotLeaderException(parts.id(), core.currentLeader()));
            return;
        }
        if (t.target().equals(parts.id())) {
            complete(t);
            return;
        }
        if (!core.configuration().isVoter(t.target())) {
            parts.apply().submit(new ApplyWorker.Fail(t.future(), new IllegalArgumentException(t.target()
                    + " is not a voter of " + core.configuration())));
            return;
        }
        core.transferLeadership(t.target());
        transfer = t;
        transferTicksLeft = 2 * parts.electionTicks();
    }

    private void settleTransfer() {
        if (transfer != null && leader != null) {
            if (leader.equals(transfer.target())) {
                complete(transfer);
            } else {
                fail(transfer, new RaftException("leadership went to " + leader + ", not " + transfer.target()));
            }
            transfer = null;
        }
    }

    void onTick() {
        if (transfer != null && --transferTicksLeft <= 0) {
            fail(transfer, new RaftException("leadership transfer to " + transfer.target()
                    + " did not finish within two election timeouts"));
            transfer = null;
        }
    }

    void failTransfer(RaftException error) {
        if (transfer != null) {
            transfer.future().completeExceptionally(error);
            transfer = null;
        }
    }

    private void complete(Event.Transfer t) {
        parts.apply().submit((Runnable) () -> t.future().complete(null));
    }

    private void fail(Event.Transfer t, RaftException e) {
        parts.apply().submit(new ApplyWorker.Fail(t.future(), e));
    }

    RaftStatus status(NodeState state) {
        CoreStatus s = core.status();
        ClusterConfig config = s.config().withAddresses(parts.members());
        Map<NodeId, RaftStatus.PeerStatus> peers = new LinkedHashMap<>();
        s.peers().forEach((id, p) -> peers.put(id, new RaftStatus.PeerStatus(p.matchIndex(), p.nextIndex())));
        return new RaftStatus(s.id(), state, s.role(), s.term(), s.leader(), s.lastIndex(), s.commitIndex(),
                s.appliedIndex(), s.firstIndex(), parts.transfers().latest(), config.members(), config, s.configIndex(),
                peers);
    }
}
