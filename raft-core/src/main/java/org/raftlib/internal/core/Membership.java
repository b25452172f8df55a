package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.internal.core.progress.Progress;
import org.raftlib.message.TimeoutNow;

/**
 * Membership changes (Raft thesis chapter 4) on top of the configurations the log holds ({@link ConfigLog}): keeps
 * the vote counting and a leader's replication targets in line with the configuration in force, starts changes on a
 * leader, leaves a joint configuration once it commits, and makes a leader that is no longer a voter step down.
 *
 * <p>A change of at most one voter is appended as the new configuration directly (thesis §4.1); any larger change goes
 * through the joint configuration C_old,new (§4.3), which the leader replaces with C_new as soon as it commits. At most
 * one change is in flight, and a leader starts one only after committing an entry of its own term: without that, a
 * leader elected in the middle of an uncommitted single-server change could start a second one and let two disjoint
 * majorities exist (Ongaro, raft-dev, 2015). Confined to the node loop.
 */
final class Membership {

    private final RaftCore core;
    private long pushedVersion = -1;
    private ClusterConfig pushed;
    private long syncedCommitted = -1;

    Membership(RaftCore core) {
        this.core = core;
    }

    /** Returns the configuration in force: the last one in the log, committed or not. */
    ClusterConfig current() {
        return core.log().configs().current();
    }

    /** Returns the index of the configuration in force (that of the snapshot or bootstrap when the log holds none). */
    long currentIndex() {
        return core.log().configs().currentIndex();
    }

    /** Returns whether the configuration in force is committed. */
    boolean isCommitted() {
        return currentIndex() <= core.log().committed();
    }

    /**
     * Returns whether this node may start an election: it votes in the configuration in force, or that configuration
     * is not known committed and this node votes in the committed one or in one the log holds after it. The second
     * case matters when the most up-to-date log belongs to a node that an uncommitted entry in it removes (or
     * demotes): votes are counted in that newest configuration, where a majority without it can elect it, so it can
     * still finish the change; otherwise the other voters may need its vote and never get it (found by the
     * simulation). Learners, joining nodes and nodes that know their removal committed never campaign.
     */
    boolean mayCampaign() {
        ConfigLog configs = core.log().configs();
        NodeId self = core.id();
        return configs.current().isVoter(self) || (!isCommitted() && configs.votesSince(core.log().committed(), self));
    }

    /**
     * Returns the entry a new leader appends first (Raft §8): a no-op, or, while the configuration in force is the
     * bootstrap one that neither the log nor a snapshot holds, that configuration itself. Written down, it is what
     * every node restarts with, whatever members it is then given: a node restarted with an edited member list used
     * to take that list as its configuration, unseen, and two lists can have disjoint majorities.
     */
    LogEntry firstEntryOfTerm(long term, long index) {
        ClusterConfig c = current();
        if (currentIndex() == 0 && !c.voters().isEmpty()) {
            return new LogEntry(term, index, EntryType.CONFIGURATION, Bytes.wrap(c.encode()));
        }
        return new LogEntry(term, index, EntryType.NO_OP, Bytes.EMPTY);
    }

    /** Pushes the configuration in force to the vote counting, and to a leader's peers, if it changed. */
    void refresh() {
        ConfigLog configs = core.log().configs();
        if (configs.version() == pushedVersion) {
            return;
        }
        pushedVersion = configs.version();
        ClusterConfig c = configs.current();
        if (c.equals(pushed)) {
            return;
        }
        boolean first = pushed == null;
        pushed = c;
        core.tracker().setVoters(c.voters(), c.outgoingVoters());
        if (core.role() instanceof Leader) {
            syncPeers();
        }
        if (!first) {
            core.logger().info("{} [term {}] configuration at index {}: {}", core.id(), core.term(),
                    configs.currentIndex(), c);
        }
    }

    /**
     * Returns whom a leader replicates to: the members of the configuration in force and, until it commits, of the
     * last committed one, so that a removed member still receives the entry that removes it.
     */
    Set<NodeId> replicationTargets() {
        ConfigLog configs = core.log().configs();
        Set<NodeId> targets = new HashSet<>(configs.current().ids());
        targets.addAll(configs.at(core.log().committed()).ids());
        return targets;
    }

    /** Tracks the replication targets; new ones are probed at once (the next Ready sends them an append). */
    private void syncPeers() {
        CoreConfig.FlowControl flow = core.config().flow();
        Set<NodeId> targets = replicationTargets();
        if (core.role() instanceof Leader l) {
            for (NodeId gone : core.tracker().peers().keySet()) {
                if (!targets.contains(gone)) {
                    l.sendFarewell(gone);
                }
            }
        }
        int before = core.tracker().peers().size();
        core.tracker().syncPeers(targets, core.log().lastIndex() + 1, flow.maxInflightMessages(),
                flow.maxInflightBytes());
        syncedCommitted = core.log().committed();
        if (core.tracker().peers().size() > before) {
            core.broadcastSoon();
        }
    }

    /**
     * Appends a change to {@code target} if this node leads and no other change is in flight.
     *
     * @param leader this node's leader role
     * @param target the configuration wanted; not joint
     * @param maxLag how many entries behind the leader's last index a member that becomes a voter may be; it must
     *     also hold the leader's last index of one election timeout ago ({@link Leader#lastIndexOneElectionTimeoutAgo})
     * @return where the change was appended, or why not
     */
    Proposal propose(Leader leader, ClusterConfig target, long maxLag) {
        if (target.isJoint() || target.voters().isEmpty()) {
            throw new IllegalArgumentException("a target configuration needs voters and cannot be joint: " + target);
        }
        RaftLog log = core.log();
        ClusterConfig now = current();
        if (now.isJoint() || !isCommitted() || log.committed() < leader.noOpIndex()) {
            return Proposal.refused(Proposal.Outcome.CHANGE_IN_PROGRESS, Optional.of(core.id()));
        }
        for (NodeId v : target.voters()) {
            if (!now.voters().contains(v) && !v.equals(core.id())) {
                Progress pr = core.tracker().progress(v);
                if (pr == null || pr.matchIndex() == 0 || !pr.isRecentActive()
                        || pr.matchIndex() + maxLag < log.lastIndex()
                        || pr.matchIndex() < leader.lastIndexOneElectionTimeoutAgo()) {
                    return Proposal.refused(Proposal.Outcome.NOT_CAUGHT_UP, Optional.of(core.id()));
                }
            }
        }
        ClusterConfig entry = votersChanged(now, target) <= 1 ? target : joint(now, target);
        if (!hasLiveMajority(entry.voters()) || !hasLiveMajority(entry.outgoingVoters())) {
            return Proposal.refused(Proposal.Outcome.NO_LIVE_QUORUM, Optional.of(core.id()));
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(core.term(), index, EntryType.CONFIGURATION, Bytes.wrap(entry.encode()))));
        core.logger().info("{} [term {}] proposes configuration {} at index {}", core.id(), core.term(), entry, index);
        refresh();
        return Proposal.accepted(index, core.term());
    }

    /**
     * The voters of {@code config} (of both halves, when joint) this leader has not heard from in the current
     * CheckQuorum interval (itself excepted), in id order.
     */
    List<NodeId> silentVoters(ClusterConfig config) {
        Set<NodeId> all = new HashSet<>(config.voters());
        all.addAll(config.outgoingVoters());
        return core.tracker().silentVoters(all, Progress::isRecentActive);
    }

    /**
     * Whether a majority of {@code voters} (none: true) was heard from in the current CheckQuorum interval, this
     * leader counting. A configuration without one would stop commits the moment it is appended (it takes effect
     * then, thesis §4.1): removing a live voter while another is down, say.
     */
    private boolean hasLiveMajority(Set<NodeId> voters) {
        int silent = core.tracker().silentVoters(voters, Progress::isRecentActive).size();
        return voters.isEmpty() || (voters.size() - silent) * 2 > voters.size();
    }

    private static int votersChanged(ClusterConfig a, ClusterConfig b) {
        Set<NodeId> diff = new HashSet<>(a.voters());
        diff.addAll(b.voters());
        Set<NodeId> both = new HashSet<>(a.voters());
        both.retainAll(b.voters());
        diff.removeAll(both);
        return diff.size();
    }

    /** C_old,new: the target's voters and learners, with the old voters deciding too. */
    private static ClusterConfig joint(ClusterConfig now, ClusterConfig target) {
        List<Member> members = new ArrayList<>(target.members());
        for (Member m : now.members()) {
            if (now.voters().contains(m.id()) && !target.contains(m.id())) {
                members.add(m);
            }
        }
        return new ClusterConfig(members, target.voters(), now.voters(), target.learners());
    }

    /**
     * A leader's commit index advanced: once the configuration in force commits, a joint one is replaced by its new
     * half (thesis §4.3), and a leader that does not vote in it steps down and tells the most up-to-date voter to
     * campaign at once, so the cluster does not wait for an election timeout (§4.2.2).
     */
    void afterCommit() {
        if (!(core.role() instanceof Leader) || !isCommitted()) {
            return;
        }
        ClusterConfig c = current();
        if (c.isJoint()) {
            ClusterConfig next = c.leaveJoint();
            long index = core.log().lastIndex() + 1;
            core.log().append(List.of(new LogEntry(core.term(), index, EntryType.CONFIGURATION,
                    Bytes.wrap(next.encode()))));
            core.logger().info("{} [term {}] joint configuration committed; proposes {} at index {}", core.id(),
                    core.term(), next, index);
            core.broadcastSoon();
            refresh();
            return;
        }
        if (!c.isVoter(core.id())) {
            stepDownRemoved(c);
            return;
        }
        if (syncedCommitted < currentIndex()) {
            syncPeers();                                   // drop members the committed configuration removed
        }
    }

    private void stepDownRemoved(ClusterConfig c) {
        NodeId best = null;
        long bestMatch = -1;
        for (NodeId v : new TreeSet<>(c.voters())) {
            Progress pr = core.tracker().progress(v);
            if (pr != null && pr.matchIndex() > bestMatch) {
                best = v;
                bestMatch = pr.matchIndex();
            }
        }
        core.logger().info("{} [term {}] is not a voter of the committed configuration {}: stepping down{}", core.id(),
                core.term(), c, best == null ? "" : ", " + best + " campaigns at once");
        long term = core.term();
        core.becomeFollower(term, null);
        if (best != null) {
            core.send(new TimeoutNow(core.id(), best, term));
        }
    }
}
