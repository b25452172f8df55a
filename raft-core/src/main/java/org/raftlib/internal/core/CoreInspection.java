package org.raftlib.internal.core;

import java.util.List;
import org.raftlib.ClusterConfig;
import org.raftlib.NodeId;

/**
 * Read-only looks into a core for monitoring ({@link org.raftlib.RaftNode#logTail(int)}): the terms of the newest
 * entries and the election timer. Call on the node loop, like {@link RaftCore#status()}.
 */
public final class CoreInspection {

    private CoreInspection() {
    }

    /**
     * Returns the terms of the last {@code max} entries the log holds (fewer if it holds fewer; never compacted
     * ones), in index order, from memory or the storage's in-memory index.
     *
     * @param core the core
     * @param max how many entries at most, at least 0
     * @return the terms of indexes {@code lastIndex - length + 1 .. lastIndex}
     */
    public static long[] recentTerms(RaftCore core, int max) {
        RaftLog log = core.log();
        long last = log.lastIndex();
        long from = Math.max(log.firstIndex(), last - max + 1);
        long[] terms = new long[(int) Math.max(0, last - from + 1)];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = log.term(from + i);
        }
        return terms;
    }

    /**
     * Returns whether this node is a member of any configuration its log or snapshot holds, in force or not: a node
     * restarted to join whose log holds the entry that added it has been a member.
     *
     * @param core the core
     * @return whether a held configuration lists this node
     */
    public static boolean listedInHeldConfiguration(RaftCore core) {
        return core.log().configs().anyLists(core.id());
    }

    /**
     * Returns the ticks the current role's election timer has run: since a follower last heard from a leader, since
     * a candidate's election began, since a leader's last quorum check.
     *
     * @param core the core
     * @return the ticks
     */
    public static int electionElapsedTicks(RaftCore core) {
        return core.role().electionElapsed();
    }

    /**
     * Returns the tick count at which the current role's election timer fires.
     *
     * @param core the core
     * @return the ticks
     */
    public static int electionTimeoutTicks(RaftCore core) {
        return core.role().electionTimeoutTicks();
    }

    /**
     * Returns how many more ticks this leader's lease holds for, as {@link RaftCore#leaseRead} would find it: 0 unless
     * this node leads, is not handing leadership over, and its lease holds.
     *
     * @param core the core
     * @return the ticks
     */
    public static long leaseRemainingTicks(RaftCore core) {
        Leader l = core.accepting();
        return l == null ? 0 : l.leaseRemaining();
    }

    /**
     * Returns the read index a leader's read registered now would get (its commit index, at least its term's no-op);
     * meaningful only while {@link #leaseRemainingTicks} is positive.
     *
     * @param core the core
     * @return the index
     */
    public static long leaderReadIndex(RaftCore core) {
        Leader l = core.accepting();
        return l == null ? 0 : l.readIndex();
    }

    /**
     * Returns how many entries of the log are not known committed (cheap: no status object).
     *
     * @param core the core
     * @return last index minus commit index
     */
    public static long uncommittedEntries(RaftCore core) {
        return core.log().lastIndex() - core.log().committed();
    }

    /**
     * Returns whether {@code id} is a voter or learner of the configuration this node, leading, replicates to; false
     * on a node that does not lead.
     *
     * @param core the core
     * @param id the node
     * @return whether the leader tracks it
     */
    public static boolean leaderTracks(RaftCore core, NodeId id) {
        return core.role() instanceof Leader && core.tracker().progress(id) != null;
    }

    /**
     * Returns the match index of {@code id} on this node, leading; -1 if it does not lead or does not track {@code id}.
     *
     * @param core the core
     * @param id the node
     * @return the highest index known replicated on {@code id}
     */
    public static long leaderMatchIndex(RaftCore core, NodeId id) {
        if (!(core.role() instanceof Leader)) {
            return -1;
        }
        var p = core.tracker().progress(id);
        return p == null ? -1 : p.matchIndex();
    }

    /**
     * Returns the voters of {@code config} (both halves when joint) this node, leading, has not heard from in the
     * current CheckQuorum interval, in id order; every other voter if it does not lead.
     *
     * @param core the core
     * @param config a configuration
     * @return those voters
     */
    public static List<NodeId> silentVoters(RaftCore core, ClusterConfig config) {
        return core.membership.silentVoters(config);
    }

    /**
     * Returns the highest commit index this node knows of: its own, or on a follower the highest its leader announced
     * in this term, which may lie beyond the follower's log (one that needs a snapshot it cannot store holds nothing).
     *
     * @param core the core
     * @return the commit index known
     */
    public static long knownCommit(RaftCore core) {
        long own = core.commitIndex();
        return core.role() instanceof Follower f ? Math.max(own, f.leaderCommit()) : own;
    }
}
