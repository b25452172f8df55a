package org.raftlib.internal.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.raftlib.ClusterConfig;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.MembershipChangeException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.RaftException;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.CoreInspection;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's side of membership changes (Raft thesis chapter 4): runs one requested change at a time to its end and
 * keeps the transport's address book in line with the configurations the log holds. Confined to the node loop.
 *
 * <p>A change whose target makes a node vote that is not a member yet first adds it as a learner; the change proper is
 * then retried every tick until the new voters have caught up (within {@link #MAX_LAG} entries of the leader's log and
 * holding its last index of one election timeout ago, thesis §4.2.1) and no other change is in flight. A voter the
 * target moves to another address is treated as a new server (thesis §4.2: an address is a server's identity on the
 * network): it first becomes a learner at its new address, and votes again only once it has acknowledged that
 * configuration's entry, which reached it there. So a wrong address (a mistyped port) ends in a timed-out change with
 * that member a learner, never in a configuration whose quorum needs a voter nobody can reach. The request completes
 * once the target configuration is committed, and fails when this node stops leading or the change does not finish
 * within {@link #TIMEOUT_ELECTIONS} election timeouts.
 */
final class MembershipChanges {

    /** How far behind the leader's last index a learner may be when it becomes a voter. */
    static final long MAX_LAG = 10_000;
    /** How many election timeouts a change may take, catch-up included. */
    static final int TIMEOUT_ELECTIONS = 30;
    /**
     * For how many election timeouts in a row a change may be refused for want of a live quorum before it fails: more
     * than one, since a CheckQuorum interval starts with no voter heard yet.
     */
    static final int QUORUM_REFUSAL_ELECTIONS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(MembershipChanges.class);

    private final RaftCore core;
    private final NodeParts parts;
    /** Every address ever learned, by id: a removed member's stays, so messages to it still find it. */
    private final Map<NodeId, Member> addresses = new LinkedHashMap<>();
    /**
     * The configuration whose addresses were last learned. Compared by value, not by index: an index does not name a
     * configuration (a snapshot from a new leader can bring another one at the index of a truncated entry).
     */
    private ClusterConfig seenConfig;
    private Event.ChangeMembership pending;
    private ClusterConfig target;
    private int ticksLeft;
    /** Whether the change proper (not only its learner step) was appended: it may commit even after a timeout. */
    private boolean appended;
    /** The members the running change makes (or keeps) voters at another address: learners there first. */
    private Set<NodeId> moved = Set.of();
    /** For how many ticks in a row the change was refused for want of a live quorum. */
    private int quorumRefusals;

    MembershipChanges(RaftCore core, NodeParts parts) {
        this.core = core;
        this.parts = parts;
        parts.members().forEach(m -> addresses.put(m.id(), m));
    }

    /**
     * Starts {@code change}, unless another one is running or this node does not lead; {@code removedAt}: the index of
     * the latest configuration this node holds if it leaves the node out (removed), else -1.
     */
    void request(Event.ChangeMembership change, long removedAt) {
        if (pending != null) {
            fail(change, new MembershipChangeException("another membership change is in progress: " + target,
                    MembershipChangeException.Reason.IN_PROGRESS));
            return;
        }
        if (core.currentRole() != RaftRole.LEADER) {
            fail(change, removedAt >= 0 ? new NotMemberException(parts.id(), removedAt)
                    : new NotLeaderException(parts.id(), core.currentLeader()));
            return;
        }
        ClusterConfig goal;
        try {
            goal = change.change().apply(core.configuration()).withAddresses(addresses.values());
            if (goal.isJoint() || goal.voters().isEmpty()) {
                throw new IllegalArgumentException("a configuration needs voters: " + goal);
            }
            checkDistinctAddresses(goal);
            checkAddresses(goal);
            checkLeaderStays(core.configuration().withAddresses(addresses.values()), goal);
        } catch (RuntimeException e) {
            fail(change, e);
            return;
        }
        pending = change;
        target = goal;
        appended = false;
        quorumRefusals = 0;
        moved = movedToVote(core.configuration().withAddresses(addresses.values()), goal);
        ticksLeft = TIMEOUT_ELECTIONS * parts.electionTicks();
        LOG.info("{} starts a membership change from {} to {}", parts.id(), core.configuration(), goal);
        attempt();
    }

    /** As the builder does for the first members: two members at one address would get each other's messages. */
    private static void checkDistinctAddresses(ClusterConfig goal) {
        Map<String, NodeId> byAddress = new HashMap<>();
        for (Member m : goal.members()) {
            NodeId other = byAddress.putIfAbsent(m.address(), m.id());
            if (other != null) {
                throw new IllegalArgumentException("address " + m.address() + " would be used by two members, "
                        + other + " and " + m.id());
            }
        }
    }

    /**
     * As the builder does for the first members: each address must be one the transport can use, or the change would
     * commit a member nobody can reach (and, moving this node, an address nobody can reach it at).
     */
    private void checkAddresses(ClusterConfig goal) {
        List<String> problems = new ArrayList<>();
        goal.members().forEach(m -> OptionChecks.checkAddress(m, parts.transport(), problems));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /**
     * This node, leading, cannot move itself: followers that cannot reach it at a wrong address could neither answer
     * it nor elect another with a configuration that needs its vote. Another leader stages the move like any other.
     */
    private void checkLeaderStays(ClusterConfig now, ClusterConfig goal) {
        NodeId self = parts.id();
        Member here = now.member(self).orElse(null);
        Member there = goal.member(self).orElse(null);
        if (here != null && there != null && !here.address().equals(there.address())) {
            throw new IllegalArgumentException(self + " leads and cannot move itself (from " + here.address() + " to "
                    + there.address() + "): transfer leadership to another voter and make the change there");
        }
    }

    /** Every tick: retries a change that could not start yet, and gives up on one that took too long. */
    void onTick() {
        if (pending == null) {
            return;
        }
        if (--ticksLeft <= 0) {
            String what = "the membership change to " + target + " did not finish within " + TIMEOUT_ELECTIONS
                    + " election timeouts";
            finish(appended ? new IndeterminateResultException(what + "; its entry is in the log and may still commit")
                    : new MembershipChangeException(what + " (a new voter still catching up, or no quorum); learners it"
                    + " added stay learners", MembershipChangeException.Reason.TIMED_OUT));
            return;
        }
        attempt();
    }

    private void attempt() {
        if (isDone(core.configuration())) {
            return;                                          // committed; this node may have stepped down with it
        }
        if (core.currentRole() != RaftRole.LEADER) {
            finish(new IndeterminateResultException(parts.id() + " stopped leading during the membership change to "
                    + target + "; it may or may not complete"));
            return;
        }
        ClusterConfig now = core.configuration();
        if (now.isJoint() || core.configurationIndex() > core.commitIndex()) {
            return;                                          // a change in flight: wait for it to commit
        }
        ClusterConfig step = withNewVotersAsLearners(now);
        if (step.equals(target) && !movedReachable()) {
            return;                                          // retried at the next tick, until the timeout
        }
        Proposal p = core.proposeConfigChange(step, MAX_LAG);
        appended |= p.isAccepted() && step.equals(target);
        quorumRefusals = p.outcome() == Proposal.Outcome.NO_LIVE_QUORUM ? quorumRefusals + 1 : 0;
        if (p.outcome() == Proposal.Outcome.NOT_LEADER) {
            finish(new NotLeaderException(parts.id(), p.leaderHint()));
        } else if (quorumRefusals > QUORUM_REFUSAL_ELECTIONS * parts.electionTicks()) {
            finish(new MembershipChangeException("the membership change to " + target + (step.equals(target) ? ""
                    : " (through " + step + ")") + " would leave voters without a majority this leader hears from "
                    + "(not heard from within an election timeout: " + CoreInspection.silentVoters(core, step)
                    + "); appended, it would stop commits at once: bring those voters back, or remove them first. "
                    + "Nothing was appended", MembershipChangeException.Reason.NO_LIVE_QUORUM));
        }                                                    // otherwise retried at the next tick
    }

    /**
     * The target's new voters that are not members yet join as learners first, and its moved voters become learners
     * at their new addresses; then the target itself.
     */
    private ClusterConfig withNewVotersAsLearners(ClusterConfig now) {
        List<Member> joining = new ArrayList<>();
        for (Member m : target.members()) {
            if (target.voters().contains(m.id()) && (!now.contains(m.id())
                    || moved.contains(m.id()) && now.member(m.id()).filter(m::equals).isEmpty())) {
                joining.add(m);
            }
        }
        if (joining.isEmpty()) {
            return target;
        }
        Set<NodeId> staged = joining.stream().map(Member::id).collect(Collectors.toSet());
        List<Member> voters = now.members().stream().filter(m -> now.voters().contains(m.id())
                && !staged.contains(m.id())).toList();
        List<Member> learners = new ArrayList<>(now.members().stream()
                .filter(m -> now.learners().contains(m.id()) && !staged.contains(m.id())).toList());
        learners.addAll(joining);
        return ClusterConfig.of(voters, learners);
    }

    /**
     * The members of {@code now} (addresses filled in), voters or learners, that {@code goal} makes voters at another
     * address.
     */
    private static Set<NodeId> movedToVote(ClusterConfig now, ClusterConfig goal) {
        Set<NodeId> out = new HashSet<>();
        for (Member m : goal.members()) {
            if (goal.voters().contains(m.id()) && now.contains(m.id())
                    && now.member(m.id()).filter(old -> !old.address().equals(m.address())).isPresent()) {
                out.add(m.id());
            }
        }
        return Set.copyOf(out);
    }

    /**
     * Whether every member the target moves and makes vote, a learner at its new address by now, has acknowledged
     * the configuration that put it there: that entry was sent to the new address, so the leader reaches it there.
     */
    private boolean movedReachable() {
        for (NodeId id : moved) {
            if (CoreInspection.leaderMatchIndex(core, id) < core.configurationIndex()) {
                return false;
            }
        }
        return true;
    }

    private boolean isDone(ClusterConfig now) {
        boolean done = !now.isJoint() && now.equals(target)      // addresses too: a moved member is a change
                && core.configurationIndex() <= core.commitIndex();
        if (done) {
            LOG.info("{} committed the membership change to {} at index {}", parts.id(), now,
                    core.configurationIndex());
            Event.ChangeMembership c = pending;
            pending = null;
            parts.apply().submit((Runnable) () -> c.future().complete(now));
        }
        return done;
    }

    /** After each turn: learns the addresses of new members, and completes a change once it committed. */
    void observe() {
        ClusterConfig now = core.configuration();
        if (now != seenConfig && !now.equals(seenConfig)) {
            seenConfig = now;
            boolean learned = false;
            for (Member m : now.members()) {
                if (!m.address().isEmpty() && !m.equals(addresses.get(m.id()))) {
                    addresses.put(m.id(), m);
                    learned = true;
                }
            }
            if (learned) {
                parts.transport().updatePeers(addresses.values().stream().filter(m -> !m.id().equals(parts.id()))
                        .toList());
            }
        }
        if (pending != null) {
            isDone(core.configuration());                    // a removed leader steps down in the turn it commits
        }
    }

    /** The node stops: a running change ends with {@code error}. */
    void failPending(RaftException error) {
        if (pending != null) {
            pending.future().completeExceptionally(error);
            pending = null;
        }
    }

    private void finish(RaftException error) {
        LOG.info("{} membership change to {} failed: {}", parts.id(), target, error.getMessage());
        fail(pending, error);
        pending = null;
    }

    private void fail(Event.ChangeMembership c, Exception e) {
        parts.apply().submit(new ApplyWorker.Fail(c.future(), e));
    }
}
