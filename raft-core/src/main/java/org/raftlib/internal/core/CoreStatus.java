package org.raftlib.internal.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.raftlib.ClusterConfig;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.progress.ProgressMode;

/**
 * A snapshot of a core's state; never a live view.
 *
 * @param id the node
 * @param role its role
 * @param term its current term
 * @param votedFor its vote in that term
 * @param leader the leader it knows of in that term
 * @param lastIndex its last log index
 * @param commitIndex its commit index
 * @param appliedIndex how far the state machine has reported applying
 * @param firstIndex the first index its log holds (entries before it are in a snapshot)
 * @param snapshotIndex the last index its newest snapshot covers; 0 if none
 * @param peers on a leader, each follower's replication state; otherwise empty
 * @param config the configuration in force (the last one in its log, committed or not)
 * @param configIndex the index of the entry holding it; 0 for the bootstrap configuration
 */
public record CoreStatus(
        NodeId id,
        RaftRole role,
        long term,
        Optional<NodeId> votedFor,
        Optional<NodeId> leader,
        long lastIndex,
        long commitIndex,
        long appliedIndex,
        long firstIndex,
        long snapshotIndex,
        Map<NodeId, PeerProgress> peers,
        ClusterConfig config,
        long configIndex) {

    /** Copies the map. */
    public CoreStatus {
        peers = Map.copyOf(peers);
    }

    static CoreStatus of(RaftCore core, RaftLog log, Membership membership) {
        Map<NodeId, PeerProgress> peers = new LinkedHashMap<>();
        if (core.role() instanceof Leader) {
            core.tracker().peers().forEach((id, pr) -> peers.put(id,
                    new PeerProgress(pr.matchIndex(), pr.nextIndex(), pr.mode())));
        }
        return new CoreStatus(core.id(), core.role().kind(), core.term(), Optional.ofNullable(core.votedFor()),
                core.currentLeader(), log.lastIndex(), log.committed(), log.applied(), log.firstIndex(),
                log.snapshotIndex(), peers, membership.current(), membership.currentIndex());
    }

    /**
     * One follower's replication state, as its leader sees it.
     *
     * @param matchIndex the highest index known replicated
     * @param nextIndex the next index to send
     * @param mode probe or replicate
     */
    public record PeerProgress(long matchIndex, long nextIndex, ProgressMode mode) {
    }
}
