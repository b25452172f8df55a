package org.raftlib.internal.core.progress;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.raftlib.NodeId;
import org.raftlib.internal.core.quorum.JointConfig;
import org.raftlib.internal.core.quorum.MajorityConfig;
import org.raftlib.internal.core.quorum.VoteResult;

/**
 * The voting configuration, a leader's progress for every other member, and the votes of the current election.
 *
 * <p>The local node's own match index is the index its storage has made durable: a leader counts its own copy of an
 * entry towards a commit only once it is on disk (thesis §10.2.1). Not thread-safe: confined to the node loop.
 */
public final class ProgressTracker {

    private final NodeId self;
    private JointConfig config;
    private final Map<NodeId, Progress> peers = new LinkedHashMap<>();
    private final Map<NodeId, Boolean> votes = new HashMap<>();
    private long selfMatchIndex;

    /**
     * Creates a tracker.
     *
     * @param self the local node
     * @param voters the voting members, which may include {@code self}
     */
    public ProgressTracker(NodeId self, Set<NodeId> voters) {
        this.self = Objects.requireNonNull(self, "self");
        this.config = new JointConfig(new MajorityConfig(voters), new MajorityConfig(Set.of()));
    }

    /**
     * Sets the voting configuration: a joint one needs majorities of both halves (thesis §4.3). Peers' progress is
     * not touched; see {@link #syncPeers}.
     *
     * @param incoming the (new) voters
     * @param outgoing the old voters while a joint change is in progress, empty otherwise
     */
    public void setVoters(Set<NodeId> incoming, Set<NodeId> outgoing) {
        config = new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing));
    }

    /** Returns every voter (of either half while joint), sorted by id. */
    public Set<NodeId> voters() {
        Set<NodeId> all = new TreeSet<>(config.incoming().voters());
        all.addAll(config.outgoing().voters());
        return Collections.unmodifiableSet(all);
    }

    /** Returns the voters other than the local node, sorted by id. */
    public Set<NodeId> otherVoters() {
        Set<NodeId> others = new TreeSet<>(voters());
        others.remove(self);
        return others;
    }

    /** Returns whether {@code id} votes. */
    public boolean isVoter(NodeId id) {
        return config.incoming().voters().contains(id) || config.outgoing().voters().contains(id);
    }

    /**
     * Forgets all progress and starts every peer of {@code targets} in probe mode at {@code nextIndex} (a new leader).
     *
     * @param targets the members to replicate to; the local node is skipped
     * @param nextIndex the leader's last index + 1
     * @param maxInflightMessages the replicate-mode window, in messages
     * @param maxInflightBytes the replicate-mode window, in bytes
     */
    public void resetProgress(Set<NodeId> targets, long nextIndex, int maxInflightMessages, long maxInflightBytes) {
        peers.clear();
        syncPeers(targets, nextIndex, maxInflightMessages, maxInflightBytes);
    }

    /**
     * Tracks exactly the peers of {@code targets}: new ones start in probe mode at {@code nextIndex}, the others keep
     * their progress, and peers no longer in {@code targets} are forgotten (a membership change on a leader).
     *
     * @param targets the members to replicate to; the local node is skipped
     * @param nextIndex where new peers start probing
     * @param maxInflightMessages the replicate-mode window, in messages
     * @param maxInflightBytes the replicate-mode window, in bytes
     */
    public void syncPeers(Set<NodeId> targets, long nextIndex, int maxInflightMessages, long maxInflightBytes) {
        peers.keySet().retainAll(targets);
        for (NodeId id : new TreeSet<>(targets)) {
            if (!id.equals(self) && !peers.containsKey(id)) {
                peers.put(id, new Progress(nextIndex, maxInflightMessages, maxInflightBytes));
            }
        }
    }

    /** Returns the progress of {@code id}, or {@code null} if it is not a tracked peer. */
    public Progress progress(NodeId id) {
        return peers.get(id);
    }

    /** Returns every tracked peer's progress, in a stable order. */
    public Map<NodeId, Progress> peers() {
        return Collections.unmodifiableMap(peers);
    }

    /**
     * Records the index up to which the local log is durable.
     *
     * @param index the durable index
     */
    public void setSelfMatchIndex(long index) {
        selfMatchIndex = index;
    }

    public long selfMatchIndex() {
        return selfMatchIndex;
    }

    /** Returns the largest index durable on a quorum (self included, at its durable index). */
    public long committedIndex() {
        return config.committedIndex(id -> {
            if (id.equals(self)) {
                return selfMatchIndex;
            }
            Progress p = peers.get(id);
            return p == null ? 0 : p.matchIndex();
        });
    }

    /**
     * Returns the highest ReadIndex round a quorum has echoed (thesis §6.4); the local node counts at
     * {@code selfSeq}.
     *
     * @param selfSeq the leader's current round
     * @return the round a quorum has reached
     */
    public long quorumReadSeq(long selfSeq) {
        return config.committedIndex(id -> {
            if (id.equals(self)) {
                return selfSeq;
            }
            Progress p = peers.get(id);
            return p == null ? 0 : p.readSeq();
        });
    }

    /** Returns whether a quorum was heard from since the last check (the local node always counts). */
    public boolean hasActiveQuorum() {
        return config.hasActiveQuorum(id -> {
            Progress p = peers.get(id);
            return id.equals(self) || (p != null && p.isRecentActive());
        });
    }

    /**
     * Returns whether the peers whose progress satisfies {@code heard}, with the local node, form a quorum.
     *
     * @param heard whether a peer was heard from recently enough
     * @return whether they are a quorum of the configuration (of both halves, when joint)
     */
    public boolean hasQuorum(Predicate<Progress> heard) {
        return config.hasActiveQuorum(id -> {
            Progress p = peers.get(id);
            return id.equals(self) || (p != null && heard.test(p));
        });
    }

    /**
     * Returns the voters of {@code among} other than the local node whose progress does not satisfy {@code heard}
     * (or that have none), in id order: whom a leader did not hear from.
     *
     * @param among the voters to look at
     * @param heard whether a peer was heard from recently enough
     * @return those voters
     */
    public List<NodeId> silentVoters(Collection<NodeId> among, Predicate<Progress> heard) {
        return new TreeSet<>(among).stream().filter(id -> {
            Progress p = peers.get(id);
            return !id.equals(self) && (p == null || !heard.test(p));
        }).toList();
    }

    /** Clears every peer's recent-activity flag, starting the next CheckQuorum interval. */
    public void clearRecentActive() {
        peers.values().forEach(Progress::clearRecentActive);
    }

    /** Forgets the votes of the last election. */
    public void resetVotes() {
        votes.clear();
    }

    /**
     * Records a vote; only the first answer of each voter counts.
     *
     * @param voter who answered
     * @param granted whether the vote was granted
     */
    public void recordVote(NodeId voter, boolean granted) {
        votes.putIfAbsent(voter, granted);
    }

    /** Returns whether {@code voter} has answered in the current election. */
    public boolean hasVoteFrom(NodeId voter) {
        return votes.containsKey(voter);
    }

    /** Returns the election's outcome so far. */
    public VoteResult voteResult() {
        return config.voteResult(votes);
    }
}
