package org.raftlib.internal.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.raftlib.NodeId;
import org.raftlib.RaftEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader's watch on its peers: a peer it has heard nothing from (no response, no message of any kind) for an
 * election timeout is reported unreachable, and reachable again at its next message. That is the evidence CheckQuorum
 * acts on (thesis §6.2), kept per peer. Followers and candidates watch nothing: they expect messages from the leader
 * alone, and an election timeout already covers that. Confined to the node loop; time counts in loop ticks.
 */
final class PeerWatch {

    private static final Logger LOG = LoggerFactory.getLogger(PeerWatch.class);

    private final NodeId self;
    private final int electionTicks;
    private final long tickNanos;
    private final Events events;
    /** The tick at which each watched peer was last heard from, or at which the leadership began. */
    private final Map<NodeId, long[]> lastHeard = new HashMap<>();
    private final Set<NodeId> unreachable = new HashSet<>();
    private long ticks;
    private long term = -1;

    PeerWatch(NodeId self, int electionTicks, long tickNanos, Events events) {
        this.self = self;
        this.electionTicks = electionTicks;
        this.tickNanos = tickNanos;
        this.events = events;
    }

    /** A reply to this leader's messages came from {@code peer}. */
    void heard(NodeId peer) {
        long[] at = lastHeard.get(peer);
        if (at == null) {
            return;                                          // not leading, or not a member
        }
        at[0] = ticks;
        if (unreachable.remove(peer)) {
            LOG.info("{} [term {}] heard from {} again", self, term, peer);
            events.emit(new RaftEvent.PeerReachable(peer, term));
        }
    }

    /** Returns whether {@code peer} was heard from within an election timeout (true if not watched). */
    boolean reachable(NodeId peer) {
        return !unreachable.contains(peer);
    }

    /** Returns how long ago {@code peer} was last heard from, or the leadership began; zero if not watched. */
    Duration sinceHeard(NodeId peer) {
        long[] at = lastHeard.get(peer);
        return at == null ? Duration.ZERO : Duration.ofNanos((ticks - at[0]) * tickNanos);
    }

    /**
     * One tick passed. While this node leads in {@code leaderTerm} (-1: it does not lead), watches the
     * {@code members} of the configuration in force and reports those silent for an election timeout.
     */
    void tick(long leaderTerm, Set<NodeId> members) {
        ticks++;
        if (leaderTerm != term) {
            lastHeard.clear();                              // a new leadership, or none: start afresh
            unreachable.clear();
            term = leaderTerm;
        }
        if (term < 0) {
            return;
        }
        lastHeard.keySet().retainAll(members);             // forget removed members silently
        unreachable.retainAll(members);
        for (NodeId id : members) {
            if (id.equals(self)) {
                continue;
            }
            long since = ticks - lastHeard.computeIfAbsent(id, k -> new long[] {ticks})[0];
            if (since >= electionTicks && unreachable.add(id)) {
                Duration silent = Duration.ofNanos(since * tickNanos);
                LOG.info("{} [term {}] has heard nothing from {} for {} ms", self, term, id, silent.toMillis());
                events.emit(new RaftEvent.PeerUnreachable(id, term, silent));
            }
        }
    }
}
