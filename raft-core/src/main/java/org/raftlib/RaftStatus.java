package org.raftlib;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A point-in-time view of a node, from {@link RaftNode#status()}; never a live view.
 *
 * @param id the node
 * @param state its lifecycle state
 * @param role its role (the last one held, once the node stopped)
 * @param term its current term
 * @param leader the leader it knows of in that term
 * @param lastLogIndex the last index in its log
 * @param commitIndex the highest index it knows committed
 * @param appliedIndex the highest index its state machine applied
 * @param firstLogIndex the first index its log holds; the entries before it are only in a snapshot
 * @param latestSnapshot its newest durable snapshot (index, term, size, creation time), if any
 * @param members the members of the configuration in force, with their addresses where known
 * @param configuration the configuration in force on this node (the last one in its log, committed or not): voters,
 *     learners, and the old voters while a joint change is in progress
 * @param configurationIndex the log index of that configuration's entry, also once the entry is compacted (it is
 *     stored with snapshots); 0 for the bootstrap configuration until the first leader writes it down; for a
 *     snapshot of an earlier release that did not record it, the snapshot's index
 * @param peers on a leader, each follower's replication progress; otherwise empty
 */
public record RaftStatus(
        NodeId id,
        NodeState state,
        RaftRole role,
        long term,
        Optional<NodeId> leader,
        long lastLogIndex,
        long commitIndex,
        long appliedIndex,
        long firstLogIndex,
        Optional<SnapshotMeta> latestSnapshot,
        List<Member> members,
        ClusterConfig configuration,
        long configurationIndex,
        Map<NodeId, PeerStatus> peers) {

    /**
     * Copies the collections.
     *
     * @throws NullPointerException if a reference is null
     */
    public RaftStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(leader, "leader");
        Objects.requireNonNull(latestSnapshot, "latestSnapshot");
        members = List.copyOf(members);
        Objects.requireNonNull(configuration, "configuration");
        peers = Map.copyOf(peers);
    }

    /** Returns whether the configuration in force is committed (a change to it is no longer in flight). */
    public boolean isConfigurationCommitted() {
        return configurationIndex <= commitIndex;
    }

    /**
     * Returns whether this node knows it is not a voter: removed from the cluster, a learner, or a joining node that
     * has not received a configuration yet. Such a node never campaigns.
     */
    public boolean isVoter() {
        return configuration.isVoter(id);
    }

    /** Returns whether this node is the running leader. */
    public boolean isLeader() {
        return state == NodeState.RUNNING && role == RaftRole.LEADER;
    }

    /**
     * A follower's replication progress and liveness as its leader sees it. A follower that has stopped answering
     * keeps its last {@code matchIndex}; {@code reachable} and {@code sinceHeard} tell it apart from a healthy one.
     *
     * @param matchIndex the highest index known replicated on the follower
     * @param nextIndex the next index the leader will send it
     * @param reachable false once the leader has had no reply to its messages from it for an election timeout (as
     *     {@link RaftEvent.PeerUnreachable} reports), true again when it replies
     * @param sinceHeard how long ago the leader last had a reply from it (counted from the start of its leadership
     *     if it never did), in whole ticks of the node's loop
     */
    public record PeerStatus(long matchIndex, long nextIndex, boolean reachable, Duration sinceHeard) {

        /**
         * Checks the fields.
         *
         * @throws NullPointerException if {@code sinceHeard} is null
         */
        public PeerStatus {
            Objects.requireNonNull(sinceHeard, "sinceHeard");
        }
    }
}
