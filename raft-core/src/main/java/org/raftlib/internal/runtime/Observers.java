package org.raftlib.internal.runtime;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.raftlib.ClusterConfig;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftEvent;
import org.raftlib.RaftException;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.internal.core.CoreInspection;
import org.raftlib.internal.core.CoreStatus;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's view outward: notices role, leader and configuration changes and tells listeners (on the apply thread),
 * watches a leader's peers ({@link PeerWatch}), publishes what {@link org.raftlib.RaftNode#health()} needs, follows a
 * leadership transfer to its end, and builds status snapshots. Confined to the node loop, except the volatile
 * {@link #knownLeader()}, {@link #knownCommit()} and {@link #removedAt()}.
 */
final class Observers {

    private static final Logger LOG = LoggerFactory.getLogger(Observers.class);

    private final RaftCore core;
    private final NodeParts parts;
    private final Events events;
    private final PeerWatch peers;
    private RaftRole role;
    private volatile long term = -1;
    private volatile NodeId leader;
    private volatile long commit;
    /** The index of the latest configuration this node holds if that one leaves it out (removed); else -1. */
    private volatile long removedAt = -1;
    /**
     * Whether this node has been a member. A node started to join has not until the entry adding it reaches it (at
     * this start, or in the log or snapshot it restarted with), and a snapshot installed before that entry leaves it
     * out: joining, not removed. A node started as a member has. (A node added, then removed, and restarted with the
     * join flag read "knows no leader" instead of removed, and its requests waited for a leader that never came.)
     */
    private boolean memberSeen;
    private ClusterConfig config;
    private long configIndex = -1;
    /** Whether the configuration last reported by an event was committed then. */
    private boolean configCommitted;
    /** Whether the configuration last observed ({@link #config} at {@link #configIndex}) was committed. */
    private boolean observedCommitted;
    /** The configuration last reported by an event, addresses filled in. */
    private ClusterConfig reported;
    private Event.Transfer transfer;
    private int transferTicksLeft;

    Observers(RaftCore core, NodeParts parts, long tickNanos) {
        this.core = core;
        this.parts = parts;
        this.events = new Events(parts.id().value(), parts.listeners(), parts.apply()::submit);
        this.peers = new PeerWatch(parts.id(), parts.electionTicks(), tickNanos, events);
        this.memberSeen = !parts.joining() || CoreInspection.listedInHeldConfiguration(core);
    }

    void observe(RaftRole newRole, long newTerm) {
        if (newTerm != term) {
            term = newTerm;
        }
        if (newRole != role) {                               // a new term in the same role is no role change
            Optional<RaftRole> previous = Optional.ofNullable(role);
            role = newRole;
            events.emit(new RaftEvent.RoleChanged(previous, newRole, newTerm));
        }
        NodeId newLeader = core.currentLeader().orElse(null);
        if (!Objects.equals(newLeader, leader)) {
            if (newLeader != null) {
                LOG.info("{} [term {}] leader is {}", parts.id(), newTerm, newLeader);   // every node, once a change
            }
            leader = newLeader;
            events.emit(new RaftEvent.LeaderChanged(Optional.ofNullable(newLeader), newTerm));
            settleTransfer();
        }
        long c = core.commitIndex();
        long known = CoreInspection.knownCommit(core);      // a follower's leader's too: health's lag counts from it
        if (known != commit) {
            commit = known;
        }
        observeConfiguration(c);
    }

    private void observeConfiguration(long commitIndex) {
        ClusterConfig c = core.configuration();
        long index = core.configurationIndex();
        boolean committed = commitIndex >= index;
        if (c == config && index == configIndex && committed == observedCommitted) {
            return;
        }
        ClusterConfig filled = c.withAddresses(parts.members());
        boolean same = reported != null && sameConfiguration(filled, reported);
        config = c;
        configIndex = index;
        observedCommitted = committed;
        memberSeen |= c.contains(parts.id());
        removedAt = removedAt(c, index, parts.id(), memberSeen);
        if (same && configCommitted) {
            return;      // the same members at another index: a snapshot, or the bootstrap one written to the log
        }
        configCommitted = committed;
        reported = filled;
        if (!c.ids().isEmpty()) {                            // a joining node has no configuration yet
            events.emit(new RaftEvent.ConfigurationChanged(filled, index, committed));
        }
    }

    /**
     * Returns {@code index} if {@code c}, the configuration at it, leaves out {@code self}, a node that has been a
     * member since it started ({@code memberSeen}); else -1. An empty configuration, or one that leaves out a node
     * not yet added, is a joining node's.
     */
    static long removedAt(ClusterConfig c, long index, NodeId self, boolean memberSeen) {
        return !memberSeen || c.ids().isEmpty() || c.contains(self) ? -1 : index;
    }

    /** The same members, roles and addresses (a snapshot's configuration may list the members in another order). */
    private static boolean sameConfiguration(ClusterConfig a, ClusterConfig b) {
        return a.voters().equals(b.voters()) && a.learners().equals(b.learners())
                && a.outgoingVoters().equals(b.outgoingVoters())
                && Set.copyOf(a.members()).equals(Set.copyOf(b.members()));
    }

    /**
     * A message came in. Only a reply to this node's own messages (appends, heartbeats, snapshot chunks) shows that a
     * follower gets them: a cut-off follower's vote requests still reach the leader over a one-way partition, and made
     * it read reachable half the time (outside probe).
     */
    void heard(RaftMessage m) {
        if (m instanceof AppendEntriesResponse || m instanceof InstallSnapshotResponse) {
            peers.heard(m.from());
        }
    }

    /** Returns the leader this node knows of, or null; from any thread. */
    NodeId knownLeader() {
        return leader;
    }

    /**
     * Returns the highest index this node knows committed, by itself or (a follower) by its leader's word, whether or
     * not it holds the entry; from any thread.
     */
    long knownCommit() {
        return commit;
    }

    /**
     * Returns the index of the latest configuration this node holds if that configuration leaves it out, else -1;
     * from any thread.
     */
    long removedAt() {
        return removedAt;
    }

    /** Returns the term last observed; from any thread, possibly stale. */
    long knownTerm() {
        return term;
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
        if (!peers.reachable(t.target())) {
            fail(t, new RaftException(parts.id() + " has heard nothing from " + t.target() + " for "
                    + seconds(peers.sinceHeard(t.target())) + " (down or cut off?): leadership not transferred"));
            return;
        }
        core.transferLeadership(t.target());
        transfer = t;
        transferTicksLeft = 2 * parts.electionTicks();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
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
        boolean leads = role == RaftRole.LEADER;
        peers.tick(leads ? term : -1, leads ? core.configuration().ids() : Set.of());
        if (transfer != null && --transferTicksLeft <= 0) {
            fail(transfer, new RaftException("leadership transfer to " + transfer.target()
                    + " did not finish within two election timeouts (" + parts.id() + " last heard from it "
                    + seconds(peers.sinceHeard(transfer.target())) + " ago); it may still take over if it got the"
                    + " request to campaign: status shows who leads"));
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
        Map<NodeId, RaftStatus.PeerStatus> progress = new LinkedHashMap<>();
        s.peers().forEach((id, p) -> progress.put(id, new RaftStatus.PeerStatus(p.matchIndex(), p.nextIndex(),
                peers.reachable(id), peers.sinceHeard(id))));
        long applied = Math.max(s.appliedIndex(), parts.apply().appliedIndex());   // the apply thread's is newer
        return new RaftStatus(s.id(), state, s.role(), s.term(), s.leader(), s.lastIndex(), s.commitIndex(), applied,
                s.firstIndex(), parts.transfers().latest(), config.members(), config, s.configIndex(), progress);
    }
}
