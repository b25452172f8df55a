package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Health;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.MembershipChangeException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.ReadMode;
import org.raftlib.SnapshotStore;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ForwardingTransport;
import org.raftlib.testkit.KeptOpen;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * Membership changes end to end on the in-process stack (thesis chapter 4): a cluster grows from 3 to 5 with nodes
 * started in join mode and shrinks back, the leader removes itself and another takes over at once, and a member that
 * is never reached never becomes a voter.
 */
class MembershipRaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(150)).withHeartbeatInterval(Duration.ofMillis(20))
            .withSnapshotPolicy(40, Long.MAX_VALUE, 5);

    private final LocalTransport.Hub hub = LocalTransport.hub(21);
    private final Map<NodeId, RaftNode> nodes = new TreeMap<>();
    private final Map<NodeId, SnapshotStateMachine> machines = new TreeMap<>();
    private int written;
    /** A node no entries reach while set (empty AppendEntries and InstallSnapshot still do); null: none. */
    private volatile NodeId appendsHeldFrom;

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    private static Member member(int i) {
        return Member.of("n" + i, "local-" + i);
    }

    private RaftNode start(int i, List<Member> members, boolean join) throws IOException {
        return start(i, members, join, new InMemoryLogStorage(), new InMemorySnapshotStore());
    }

    private RaftNode start(int i, List<Member> members, boolean join, LogStorage log, SnapshotStore snapshots)
            throws IOException {
        SnapshotStateMachine machine = new SnapshotStateMachine();
        RaftNode node = RaftNode.builder().id(member(i).id()).members(members).join(join).stateMachine(machine)
                .logStorage(log).snapshotStore(snapshots)
                .transport(new ForwardingTransport(hub.transport()) {
                    @Override
                    public void send(RaftMessage m) {
                        boolean held = m instanceof AppendEntries a && !a.entries().isEmpty()
                                && a.to().equals(appendsHeldFrom);
                        if (!held) {
                            super.send(m);
                        }
                    }

                    @Override
                    public void checkAddress(String address) {
                        if (address.startsWith("bad:")) {
                            throw new IllegalArgumentException("not a local address");
                        }
                    }
                }).randomSeed(i).options(OPTIONS).build();
        nodes.put(node.id(), node);
        machines.put(node.id(), machine);
        node.start();
        return node;
    }

    private RaftNode startCluster() throws IOException {
        List<Member> three = List.of(member(1), member(2), member(3));
        for (int i = 1; i <= 3; i++) {
            start(i, three, false);
        }
        return leader();
    }

    private RaftNode leader() {
        Await.until("a leader", WAIT, () -> nodes.values().stream().anyMatch(n -> n.status().isLeader()));
        return nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
    }

    private void write(int count) throws Exception {
        RaftNode leader = leader();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(leader.submit(("c" + written++).getBytes(StandardCharsets.UTF_8)));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
    }

    private void awaitSameState(Set<NodeId> members) {
        Await.until("every member to apply " + written + " commands", WAIT,
                () -> members.stream().allMatch(id -> machines.get(id).size() == written));
        List<String> reference = machines.get(members.iterator().next()).applied();
        for (NodeId id : members) {
            assertThat(machines.get(id).applied()).as(id.toString()).isEqualTo(reference);
        }
    }

    @Test
    void clusterGrowsFromThreeToFiveWithJoiningNodesAndShrinksBack() throws Exception {
        startCluster();
        write(100);
        List<Member> five = List.of(member(1), member(2), member(3), member(4), member(5));
        start(4, five, true);
        start(5, five, true);
        assertThat(nodes.get(NodeId.of("n4")).status().isVoter()).as("a joining node votes nowhere yet").isFalse();

        ClusterConfig c = leader().addVoter(member(4)).get(20, TimeUnit.SECONDS);
        assertThat(c.voters()).hasSize(4);
        c = leader().addLearner(member(5)).get(20, TimeUnit.SECONDS);
        assertThat(c.learners()).containsExactly(NodeId.of("n5"));
        write(50);
        c = leader().promote(NodeId.of("n5")).get(20, TimeUnit.SECONDS);
        assertThat(c.voters()).hasSize(5);
        write(50);
        awaitSameState(nodes.keySet());
        Await.until("n5 to see itself a voter", WAIT, () -> nodes.get(NodeId.of("n5")).status().isVoter());

        RaftNode leader = leader();
        List<Member> keep = new ArrayList<>(five.stream().filter(m -> m.id().equals(leader.id())).toList());
        for (int i = five.size() - 1; keep.size() < 3; i--) {            // the leader and two of the newest
            if (!five.get(i).id().equals(leader.id())) {
                keep.add(five.get(i));
            }
        }
        c = leader.changeMembership(keep, List.of()).get(20, TimeUnit.SECONDS);
        assertThat(c.isJoint()).isFalse();
        assertThat(c.voters()).hasSize(3);
        write(30);
        awaitSameState(c.voters());
    }

    /**
     * A removed member that still runs fails its requests instead of hanging (found by a probe): the leader answered
     * its reads, and it then waited forever to apply an index it was no longer sent; it appended its commands, which
     * the removed node never learnt the outcome of. Now both are refused, and nothing of them is applied.
     */
    @Test
    void requestsOnARemovedMemberFailInsteadOfHanging() throws Exception {
        RaftNode leader = startCluster();
        write(10);
        RaftNode gone = nodes.values().stream().filter(n -> !n.id().equals(leader.id())).findFirst().orElseThrow();
        ClusterConfig c = leader.removeMember(gone.id()).get(20, TimeUnit.SECONDS);
        Await.until(gone.id() + " to learn it was removed", WAIT, () -> !gone.status().isVoter());
        write(5);

        for (ReadMode mode : List.of(ReadMode.LINEARIZABLE, ReadMode.LEASE)) {
            assertThatThrownBy(() -> gone.query(new byte[0], mode).get(10, TimeUnit.SECONDS)).as(mode.name())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotLeaderException.class);
        }
        assertThatThrownBy(() -> gone.submit("from the removed".getBytes(StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NotLeaderException.class);
        write(1);
        awaitSameState(c.voters());
        assertThat(machines.get(leader.id()).applied()).doesNotContain("from the removed");
        assertThatThrownBy(() -> gone.submit(new byte[] {1}).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
        Await.until(gone.id() + " to know no leader", WAIT, () -> gone.status().leader().isEmpty());
        for (ReadMode mode : List.of(ReadMode.LINEARIZABLE, ReadMode.LEASE)) {
            assertThatThrownBy(() -> gone.query(new byte[0], mode).get(5, TimeUnit.SECONDS))
                    .as("%s: refused at once, not after the caller's retries ran out", mode)
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
        }
        assertThatThrownBy(() -> gone.openSession().get(5, TimeUnit.SECONDS))
                .as("a session fails at once too: it retried the refusals until its timeout (5 minutes)")
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
        Health health = gone.health();
        assertThat(health.live()).isTrue();
        assertThat(health.ready()).as("a removed node is not ready (it read ready before)").isFalse();
        assertThat(health.readyReason()).hasValueSatisfying(r -> assertThat(r).contains("not a member"));
        assertThat(leader.health().ready()).isTrue();
    }

    @Test
    void removingTheLeaderCompletesAndAnotherVoterLeadsAtOnce() throws Exception {
        RaftNode old = startCluster();
        write(20);
        ClusterConfig c = old.removeMember(old.id()).get(20, TimeUnit.SECONDS);
        assertThat(c.voters()).doesNotContain(old.id()).hasSize(2);
        RaftNode next = leader();
        assertThat(next.id()).isNotEqualTo(old.id());
        assertThat(old.status().isVoter()).as("the removed node knows").isFalse();
        write(20);
        Set<NodeId> remaining = c.voters();
        awaitSameState(remaining);
        assertThat(old.status().isLeader()).isFalse();
    }

    @Test
    void aMovedMemberIsAChangeAndAnInvalidTargetFailsTheFuture() throws Exception {
        RaftNode leader = startCluster();
        write(5);
        List<Member> moved = List.of(member(1), member(2), member(3));
        moved = moved.stream().map(m -> m.id().equals(leader.id()) ? m : Member.of(m.id().value(),
                m.address() + "-moved")).toList();
        ClusterConfig c = leader.changeMembership(moved, List.of()).get(20, TimeUnit.SECONDS);
        assertThat(c.members()).containsExactlyInAnyOrderElementsOf(moved);
        assertThat(leader.status().configurationIndex()).as("an entry was appended").isPositive();

        CompletableFuture<ClusterConfig> twice = leader.changeMembership(List.of(member(1), member(2)),
                List.of(member(2)));
        assertThatThrownBy(() -> twice.get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class);
        String taken = c.members().get(0).address();
        assertThatThrownBy(() -> leader.addLearner(Member.of("n4", taken)).get(20, TimeUnit.SECONDS))
                .as("an address in use, as the builder refuses").isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two members");
        assertThatThrownBy(() -> leader.addLearner(Member.of("n5", "bad:nonsense")).get(20, TimeUnit.SECONDS))
                .as("an address the transport refuses, as the builder does (it was committed before)")
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("member n5 has a bad address 'bad:nonsense': not a local address");
        List<Member> leaderMoved = c.members().stream().map(m -> m.id().equals(leader.id())
                ? Member.of(m.id().value(), "bad:nowhere") : m).toList();
        assertThatThrownBy(() -> leader.changeMembership(leaderMoved, List.of()).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad address");
        assertThat(leader.status().configuration().members()).containsExactlyInAnyOrderElementsOf(c.members());
        Member voter = c.members().get(1);
        assertThatThrownBy(() -> leader.addVoter(voter).get(20, TimeUnit.SECONDS))
                .as("re-adding a voter (it read \"listed twice\", a probe found)")
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(voter.id()
                        + " is a voter already");
    }

    /**
     * A voter moved to an address where nothing reaches it (a mistyped port: here the leader's link to it is cut)
     * becomes a learner there and never votes again, so the change times out and the cluster keeps committing. Found
     * by an outside probe: moving a voter while removing another made a configuration whose quorum needed the moved
     * voter, and commits stopped for good (the address was in every log, so restarts did not help).
     */
    @Test
    void aVoterMovedToAnAddressNothingReachesNeverVotesThere() throws Exception {
        RaftNode leader = startCluster();
        write(5);
        List<RaftNode> followers = nodes.values().stream().filter(n -> !n.id().equals(leader.id())).toList();
        RaftNode moving = followers.get(0);
        RaftNode removed = followers.get(1);
        hub.dropLink(leader.id(), moving.id());
        Member self = leader.status().configuration().member(leader.id()).orElseThrow();
        List<Member> target = List.of(self, Member.of(moving.id().value(), "local-typo"));

        assertThatThrownBy(() -> leader.changeMembership(target, List.of()).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(MembershipChangeException.class)
                .satisfies(e -> assertThat(((MembershipChangeException) e).reason())
                        .isEqualTo(MembershipChangeException.Reason.TIMED_OUT));
        ClusterConfig now = leader.status().configuration();
        assertThat(now.voters()).containsExactlyInAnyOrder(leader.id(), removed.id());
        assertThat(now.learners()).containsExactly(moving.id());
        write(5);                                            // still committing: the quorum does not need it

        hub.heal();                                          // something listens there now: the move completes
        ClusterConfig c = leader.changeMembership(target, List.of()).get(20, TimeUnit.SECONDS);
        assertThat(c.voters()).containsExactlyInAnyOrder(leader.id(), moving.id());
        write(5);

        List<Member> leaderMoved = List.of(Member.of(leader.id().value(), "local-elsewhere"), c.member(moving.id())
                .orElseThrow());
        assertThatThrownBy(() -> leader.changeMembership(leaderMoved, List.of()).get(20, TimeUnit.SECONDS))
                .as("the leader cannot move itself: nothing would stage it").isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot move itself");
    }

    /**
     * Removing a live voter while another is down would leave a configuration whose quorum needs the dead one: it
     * takes effect when appended, so commits would stop at once (for good if that voter never returns). Found by an
     * outside probe with real processes; such a change is now refused with nothing appended, and removing the dead
     * voter instead works.
     */
    @Test
    void removingALiveVoterWhileAnotherIsDownIsRefusedNotAnOutage() throws Exception {
        RaftNode leader = startCluster();
        write(5);
        List<RaftNode> followers = nodes.values().stream().filter(n -> !n.id().equals(leader.id())).toList();
        RaftNode down = followers.get(0);
        RaftNode live = followers.get(1);
        Set<NodeId> unreachable = ConcurrentHashMap.newKeySet();
        leader.addListener(new RaftListener() {
            @Override
            public void onEvent(RaftEvent event) {
                if (event instanceof RaftEvent.PeerUnreachable u) {
                    unreachable.add(u.peer());
                }
            }
        });
        down.close();
        Await.until("the leader to notice " + down.id() + " is down", WAIT, () -> unreachable.contains(down.id()));
        long started = System.nanoTime();

        assertThatThrownBy(() -> leader.removeMember(live.id()).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(MembershipChangeException.class)
                .hasMessageContaining("not heard from within an election timeout: [" + down.id() + "]")
                .satisfies(e -> assertThat(((MembershipChangeException) e).reason())
                        .isEqualTo(MembershipChangeException.Reason.NO_LIVE_QUORUM));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("refused within a few election timeouts")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(leader.status().configuration().voters()).hasSize(3);
        write(5);                                            // still committing

        ClusterConfig c = leader.removeMember(down.id()).get(20, TimeUnit.SECONDS);
        assertThat(c.voters()).containsExactlyInAnyOrder(leader.id(), live.id());
        write(5);
    }

    /** The same for a learner that a change moves and promotes at once (it was promoted on its old progress). */
    @Test
    void aLearnerPromotedAtAnAddressNothingReachesNeverVotesThere() throws Exception {
        startCluster();
        write(5);
        List<Member> four = List.of(member(1), member(2), member(3), member(4));
        start(4, four, true);
        ClusterConfig c = leader().addLearner(member(4)).get(20, TimeUnit.SECONDS);
        write(5);
        NodeId n4 = NodeId.of("n4");
        List<Member> voters = new ArrayList<>(c.members().stream().filter(m -> c.voters().contains(m.id())).toList());
        voters.add(Member.of("n4", "local-typo"));

        for (int attempt = 1; ; attempt++) {
            RaftNode current = leader();
            hub.dropLink(current.id(), n4);
            Throwable refused = catchThrowable(() -> current.changeMembership(voters, List.of()).get(20,
                    TimeUnit.SECONDS));
            assertThat(refused).isInstanceOf(ExecutionException.class);
            if (refused.getCause() instanceof IndeterminateResultException && attempt < 5) {
                continue;                    // leadership moved mid-change (a starved CI machine): ask the next one
            }
            assertThat(refused.getCause()).isInstanceOf(MembershipChangeException.class);
            break;
        }
        ClusterConfig now = leader().status().configuration();
        assertThat(now.voters()).hasSize(3).doesNotContain(n4);
        assertThat(now.member(n4)).contains(Member.of("n4", "local-typo"));
        write(5);
    }

    @Test
    void aMemberThatIsNeverReachedNeverBecomesAVoter() throws Exception {
        RaftNode leader = startCluster();
        write(10);
        assertThatThrownBy(() -> leader.addVoter(Member.of("n9", "nowhere")).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(MembershipChangeException.class)
                .satisfies(e -> assertThat(((MembershipChangeException) e).reason())
                        .isEqualTo(MembershipChangeException.Reason.TIMED_OUT));
        ClusterConfig now = leader.status().configuration();
        assertThat(now.voters()).hasSize(3).doesNotContain(NodeId.of("n9"));
        assertThat(now.learners()).containsExactly(NodeId.of("n9"));
        ClusterConfig removed = leader.removeMember(NodeId.of("n9")).get(20, TimeUnit.SECONDS);
        assertThat(removed.learners()).isEmpty();
        write(10);
    }

    /**
     * A node started to join, added, then removed and restarted with the same join flag (as a deployment's command
     * line keeps it) knows it was removed: its log holds the entry that added it (outside probe: it read "knows no
     * leader", and its writes and membership requests waited for a leader that never came). A membership request on
     * a removed node is refused with NotMemberException at once, like its commands.
     */
    @Test
    void aRemovedNodeRestartedWithTheJoinFlagKnowsItWasRemoved() throws Exception {
        startCluster();
        write(10);
        List<Member> four = List.of(member(1), member(2), member(3), member(4));
        InMemoryLogStorage log = new InMemoryLogStorage();
        InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
        RaftNode joiner = start(4, four, true, KeptOpen.log(log), new KeptOpen.Snapshots(snapshots));
        leader().addVoter(member(4)).get(20, TimeUnit.SECONDS);
        write(10);
        leader().removeMember(NodeId.of("n4")).get(20, TimeUnit.SECONDS);
        Await.until("n4 to learn it was removed", WAIT, () -> joiner.health().readyReason().orElse("")
                .contains("removed"));
        assertThatThrownBy(() -> joiner.removeMember(NodeId.of("n1")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
        joiner.close();
        nodes.remove(joiner.id());

        RaftNode again = start(4, four, true, KeptOpen.log(log), new KeptOpen.Snapshots(snapshots));
        Await.until("n4 to read removed after its restart", WAIT, () -> again.health().readyReason().orElse("")
                .contains("(removed: close it)"));
        assertThatThrownBy(() -> again.submit(new byte[] {1}).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
        assertThatThrownBy(() -> again.removeMember(NodeId.of("n1")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotMemberException.class);
    }

    /**
     * A joining node whose first snapshot predates the entry that adds it holds a configuration that leaves it out
     * until that entry arrives: it is joining, not removed (outside probe: its health read "removed: close it").
     */
    @Test
    void aJoiningNodeThatInstallsASnapshotFromBeforeItsAdditionIsJoiningNotRemoved() throws Exception {
        startCluster();
        write(100);                                          // snapshots every 40 entries, the log compacted
        NodeId n4 = NodeId.of("n4");
        appendsHeldFrom = n4;                                // the snapshot reaches it, the entry adding it not
        RaftNode joiner = start(4, List.of(member(1), member(2), member(3), member(4)), true);
        CompletableFuture<ClusterConfig> added = leader().addVoter(member(4));
        Await.until("n4 to restore a snapshot", WAIT, () -> joiner.status().appliedIndex() >= 80);
        assertThat(joiner.status().configuration().voters()).as("the snapshot's configuration").doesNotContain(n4);
        assertThat(joiner.health().readyReason().orElse("")).doesNotContain("removed");
        assertThat(joiner.status().configuration().voters()).doesNotContain(n4);  // still before its addition

        appendsHeldFrom = null;
        assertThat(added.get(20, TimeUnit.SECONDS).voters()).contains(n4);
        write(10);
        awaitSameState(nodes.keySet());
    }
}
