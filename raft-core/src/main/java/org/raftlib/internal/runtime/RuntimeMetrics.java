package org.raftlib.internal.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftMetrics;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.Ready;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's side of {@link RaftMetrics}: takes the times (the core has no clock), keeps what a latency needs, and
 * calls the user's implementation, swallowing what it throws. With {@link RaftMetrics#NOOP} every method returns at
 * once and nothing is allocated.
 *
 * <p>Proposal times live in a ring of primitive arrays indexed by log index, written once per command (the clock is
 * read once per loop turn that proposes); a latency is taken once per durable or committed batch, for its first
 * (oldest) entry. The ring is reset when this node proposes
 * in a new term, so an index another leader reused never matches. The proposal, durable, commit and role methods are
 * confined to the loop; the others are stateless and called from the thread named in {@link RaftMetrics}.
 */
final class RuntimeMetrics {

    /** Measures nothing. */
    static final RuntimeMetrics NONE = new RuntimeMetrics(RaftMetrics.NOOP, 1);

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeMetrics.class);
    private static final int MAX_RING = 1 << 16;

    private final RaftMetrics sink;
    private final boolean enabled;
    private final long[] ringIndex;
    private final long[] ringNanos;
    private final int mask;
    private volatile boolean warned;
    private long ringTerm = -1;
    /** The time of the loop turn's first proposal; all of the turn's proposals go into one Ready, and share it. */
    private long turnNanos;
    private boolean turnStamped;
    private RaftRole role;
    private long term = -1;
    private NodeId leader;
    private long leaderTerm = -1;

    /**
     * Creates the runtime's side of {@code sink}.
     *
     * @param sink the user's implementation
     * @param maxInFlight how many commands may await commit at once (the ring keeps that many, up to 65,536)
     */
    RuntimeMetrics(RaftMetrics sink, int maxInFlight) {
        this.sink = sink;
        this.enabled = sink != RaftMetrics.NOOP;
        int size = enabled ? Math.min(MAX_RING, Integer.highestOneBit(Math.max(1, maxInFlight - 1)) << 1) : 1;
        this.ringIndex = new long[size];
        this.ringNanos = new long[size];
        this.mask = size - 1;
    }

    /** Returns whether measurements are recorded. */
    boolean enabled() {
        return enabled;
    }

    /**
     * Loop: this node, as leader, appended a command at {@code index} in {@code proposalTerm}. The clock is read
     * once per Ready, at its first proposal: that is the proposal whose append latency is sampled, and the others
     * of the batch were proposed within the same loop turn.
     */
    void proposed(long index, long proposalTerm) {
        if (!enabled) {
            return;
        }
        if (proposalTerm != ringTerm) {
            Arrays.fill(ringIndex, -1);
            ringTerm = proposalTerm;
        }
        if (!turnStamped) {
            turnNanos = System.nanoTime();
            turnStamped = true;
        }
        int slot = (int) index & mask;
        ringIndex[slot] = index;
        ringNanos[slot] = turnNanos;
    }

    /** Loop: the core handed out a Ready; the next proposal starts the next one. */
    void readyTaken() {
        turnStamped = false;
    }

    /** Loop: {@code ready}'s entries are durable in this node's log. */
    void durable(Ready ready) {
        if (enabled && !ready.entries().isEmpty()) {
            long since = proposedAt(ready.entries().get(0));
            if (since != Long.MIN_VALUE) {
                try {
                    sink.appendLatency(System.nanoTime() - since);
                } catch (Exception e) {
                    warn(e);
                }
            }
        }
    }

    /** Loop: {@code entries} (not empty) committed. */
    void committed(List<LogEntry> entries) {
        if (!enabled) {
            return;
        }
        long since = proposedAt(entries.get(0));
        if (since != Long.MIN_VALUE) {
            try {
                sink.commitLatency(System.nanoTime() - since);
            } catch (Exception e) {
                warn(e);
            }
        }
    }

    /** The time this node proposed {@code e}, or {@link Long#MIN_VALUE} if it did not (or the ring lost it). */
    private long proposedAt(LogEntry e) {
        int slot = (int) e.index() & mask;
        return e.term() == ringTerm && ringIndex[slot] == e.index() ? ringNanos[slot] : Long.MIN_VALUE;
    }

    /** Loop, after every event: counts elections started and won and leaders seen. */
    void observe(RaftRole newRole, long newTerm, Optional<NodeId> newLeader) {
        if (!enabled) {
            return;
        }
        try {
            if (newRole != role || newTerm != term) {
                if (newRole == RaftRole.CANDIDATE) {
                    sink.electionStarted(newTerm);
                } else if (newRole == RaftRole.LEADER) {
                    sink.electionWon(newTerm);
                }
                role = newRole;
                term = newTerm;
            }
            NodeId l = newLeader.orElse(null);
            if (l != null && (!l.equals(leader) || newTerm != leaderTerm)) {
                leader = l;
                leaderTerm = newTerm;
                sink.leaderChanged(l, newTerm);
            }
        } catch (Exception e) {
            warn(e);
        }
    }

    /** Storage thread (or a follower's loop): one write and sync of {@code batches} took {@code nanos}. */
    void storageWrite(List<Ready> batches, int entries, long nanos) {
        if (!enabled) {
            return;
        }
        long bytes = 0;
        for (Ready r : batches) {
            List<LogEntry> es = r.entries();
            for (int i = 0, n = es.size(); i < n; i++) {
                bytes += es.get(i).sizeBytes();
            }
        }
        try {
            sink.storageWrite(nanos, entries, bytes);
        } catch (Exception e) {
            warn(e);
        }
    }

    /** Snapshot writer thread: a snapshot of {@code bytes} was written in {@code nanos}. */
    void snapshotTaken(long nanos, long bytes) {
        if (enabled) {
            try {
                sink.snapshotTaken(nanos, bytes);
            } catch (Exception e) {
                warn(e);
            }
        }
    }

    /** Snapshot writer thread: a snapshot could not be written. */
    void snapshotFailed() {
        if (enabled) {
            try {
                sink.snapshotFailed();
            } catch (Exception e) {
                warn(e);
            }
        }
    }

    /** Transfer thread: a received chunk was written. */
    void snapshotBytesReceived(long bytes) {
        if (enabled) {
            try {
                sink.snapshotBytesReceived(bytes);
            } catch (Exception e) {
                warn(e);
            }
        }
    }

    /** Transfer thread: a received snapshot is durable ({@code bytes} of it) or was dropped ({@code bytes} -1). */
    void snapshotReceived(long bytes) {
        if (enabled) {
            try {
                if (bytes >= 0) {
                    sink.snapshotInstalled(bytes);
                } else {
                    sink.snapshotInstallFailed();
                }
            } catch (Exception e) {
                warn(e);
            }
        }
    }

    /** Returns the user's implementation, for the transport wrapper. */
    RaftMetrics sink() {
        return sink;
    }

    void warn(Exception e) {
        if (!warned) {
            warned = true;
            LOG.warn("the RaftMetrics implementation {} threw; ignored (logged once)", sink, e);
        }
    }
}
