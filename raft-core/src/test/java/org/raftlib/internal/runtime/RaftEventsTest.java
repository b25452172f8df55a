package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.RaftRole;
import org.raftlib.local.ForwardingLogStorage;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * The typed events of {@link RaftListener#onEvent} on in-JVM clusters over the local transport: leader and role
 * changes, unreachable and reachable peers, configuration changes, snapshots taken and installed, slow disks.
 */
class RaftEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(300)).withHeartbeatInterval(Duration.ofMillis(30));

    private final LocalTransport.Hub hub = LocalTransport.hub(7);
    private final Map<NodeId, RaftNode> nodes = new LinkedHashMap<>();
    private final Map<NodeId, Recorder> recorders = new LinkedHashMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void everyNodeHearsTheLeaderChange() throws Exception {
        startAll(OPTIONS);
        RaftNode leader = awaitLeader();
        long term = leader.status().term();
        RaftEvent.LeaderChanged expected = new RaftEvent.LeaderChanged(Optional.of(leader.id()), term);
        for (NodeId id : nodes.keySet()) {
            Await.until(id + " to hear " + expected, WAIT, () -> recorders.get(id).events.contains(expected));
            assertThat(recorders.get(id).legacy).contains("leader " + leader.id() + "@" + term);
        }
        assertThat(recorders.get(leader.id()).events)
                .contains(new RaftEvent.RoleChanged(Optional.of(RaftRole.CANDIDATE), RaftRole.LEADER, term));
    }

    /**
     * RaftListener's contract: what a listener throws is logged and ignored. An AssertionError (a test's listener)
     * failed every node before; now the nodes go on electing and committing, and the other listeners hear on.
     */
    @Test
    void aListenerThatThrowsAnErrorIsIgnored() throws Exception {
        List<Member> one = List.of(MEMBERS.get(0));
        Recorder r = new Recorder();
        RaftNode node = RaftNode.builder().id("n1").members(one).stateMachine(new SnapshotStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).randomSeed(1).options(OPTIONS)
                .build();
        nodes.put(node.id(), node);
        node.addListener(new RaftListener() {
            @Override
            public void onEvent(RaftEvent event) {
                throw new AssertionError("a listener's bug");
            }

            @Override
            public void onRoleChange(RaftRole role, long term) {
                throw new AssertionError("a listener's bug");
            }
        });
        node.addListener(r);
        node.start();

        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        node.submit(new byte[] {1}).get(10, TimeUnit.SECONDS);
        assertThat(node.health().live()).isTrue();
        Await.until("the second listener to hear the leader", WAIT, () -> r.events.stream()
                .anyMatch(e -> e instanceof RaftEvent.LeaderChanged c && c.leader().isPresent()));
    }

    /** Before the fix, a follower that only saw a new term heard "FOLLOWER" twice in a row. */
    @Test
    void roleEventsFireOnlyWhenTheRoleChanges() throws Exception {
        startAll(OPTIONS);
        RaftNode leader = awaitLeader();
        List<NodeId> followers = nodes.keySet().stream().filter(id -> !id.equals(leader.id())).toList();
        NodeId target = followers.get(0);
        NodeId bystander = followers.get(1);
        long before = leader.status().term();
        leader.transferLeadership(target).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Recorder watcher = recorders.get(bystander);
        Await.until(bystander + " to hear of the new leader", WAIT, () -> watcher.events.stream()
                .anyMatch(e -> e instanceof RaftEvent.LeaderChanged c && c.leader().equals(Optional.of(target))));
        assertThat(nodes.get(bystander).status().term()).as("the bystander saw a new term").isGreaterThan(before);
        for (Recorder r : recorders.values()) {
            List<RaftEvent.RoleChanged> roles = r.roles();
            assertThat(roles).isNotEmpty();
            assertThat(roles.get(0).previous()).as("the first reports the starting role").isEmpty();
            for (int i = 1; i < roles.size(); i++) {
                assertThat(roles.get(i).previous()).contains(roles.get(i - 1).role());
                assertThat(roles.get(i).role()).isNotEqualTo(roles.get(i - 1).role());
            }
            List<String> legacyRoles = r.legacy.stream().filter(s -> s.startsWith("role ")).map(s -> s.split("@")[0])
                    .toList();
            for (int i = 1; i < legacyRoles.size(); i++) {
                assertThat(legacyRoles.get(i)).as("onRoleChange repeats no role: " + r.legacy)
                        .isNotEqualTo(legacyRoles.get(i - 1));
            }
        }
        assertThat(watcher.roles()).extracting(RaftEvent.RoleChanged::role).doesNotContain(RaftRole.LEADER);
    }

    @Test
    void leaderReportsACutOffPeerUnreachableAndThenReachable() throws Exception {
        startAll(OPTIONS);
        RaftNode leader = awaitLeader();
        NodeId cut = nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        Recorder r = recorders.get(leader.id());
        hub.isolate(cut);
        Await.until(leader.id() + " to report " + cut + " unreachable", WAIT, () -> r.events.stream()
                .anyMatch(e -> e instanceof RaftEvent.PeerUnreachable u && u.peer().equals(cut)));
        RaftEvent.PeerUnreachable u = r.events.stream().filter(e -> e instanceof RaftEvent.PeerUnreachable p
                && p.peer().equals(cut)).map(RaftEvent.PeerUnreachable.class::cast).findFirst().orElseThrow();
        assertThat(u.silentFor()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(leader.status().isLeader()).as("still leads with the other follower").isTrue();
        hub.heal();
        Await.until(leader.id() + " to report " + cut + " reachable", WAIT, () -> r.events.stream()
                .anyMatch(e -> e instanceof RaftEvent.PeerReachable p && p.peer().equals(cut)));
        assertThat(r.events.indexOf(u)).isLessThan(r.events.indexOf(new RaftEvent.PeerReachable(cut, u.term())));
    }

    @Test
    void aCutOffFollowerIsNotReadyUntilHealed() throws Exception {
        startAll(OPTIONS);
        RaftNode leader = awaitLeader();
        RaftNode cut = nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
        Await.until("every node to be ready", WAIT, () -> nodes.values().stream().allMatch(n -> n.health().ready()));
        hub.isolate(cut.id());
        Await.until(cut.id() + " to be unready", WAIT, () -> !cut.health().ready());
        assertThat(cut.health().live()).isTrue();
        assertThat(cut.health().readyReason()).hasValueSatisfying(r -> assertThat(r).contains("knows no leader"));
        hub.heal();
        Await.until(cut.id() + " to be ready again", WAIT, () -> cut.health().ready());
    }

    @Test
    void membershipChangeIsReportedAppendedThenCommitted() throws Exception {
        startAll(OPTIONS);
        RaftNode leader = awaitLeader();
        NodeId removed = nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        NodeId kept = nodes.keySet().stream().filter(id -> !id.equals(leader.id()) && !id.equals(removed))
                .findFirst().orElseThrow();
        leader.removeMember(removed).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (NodeId id : List.of(leader.id(), kept)) {
            Recorder r = recorders.get(id);
            Await.until(id + " to see the change committed", WAIT, () -> r.configs().stream()
                    .anyMatch(c -> c.committed() && !c.config().contains(removed)));
            RaftEvent.ConfigurationChanged first = r.configs().get(0);
            assertThat(first.index()).as("the bootstrap configuration").isZero();
            assertThat(first.config().ids()).containsExactlyInAnyOrder(ids("n1", "n2", "n3"));
            RaftEvent.ConfigurationChanged done = r.configs().stream()
                    .filter(c -> c.committed() && !c.config().contains(removed)).findFirst().orElseThrow();
            assertThat(done.index()).isPositive();
            assertThat(done.config().ids()).containsExactlyInAnyOrder(leader.id(), kept);
        }
        assertThat(recorders.get(leader.id()).configs()).as("the leader appended it before it committed")
                .anyMatch(c -> !c.committed() && !c.config().contains(removed));
    }

    @Test
    void snapshotsTakenAndInstalledAreReported() throws Exception {
        startAll(OPTIONS.withSnapshotPolicy(50, Long.MAX_VALUE, 10).withSnapshotTransfer(1024, 2));
        RaftNode leader = awaitLeader();
        NodeId behind = nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        hub.isolate(behind);
        writeAll(leader, 300);
        Await.until("the leader to compact", WAIT, () -> leader.status().firstLogIndex() > 100);
        Await.until("the leader to report a snapshot", WAIT, () -> recorders.get(leader.id()).events.stream()
                .anyMatch(e -> e instanceof RaftEvent.SnapshotTaken t && t.snapshot().index() >= 50));
        hub.heal();
        Recorder r = recorders.get(behind);
        Await.until(behind + " to install a snapshot", WAIT, () -> r.events.stream()
                .anyMatch(e -> e instanceof RaftEvent.SnapshotInstalled));
        RaftEvent.SnapshotInstalled installed = r.events.stream().filter(e -> e instanceof RaftEvent.SnapshotInstalled)
                .map(RaftEvent.SnapshotInstalled.class::cast).findFirst().orElseThrow();
        assertThat(installed.snapshot().index()).isGreaterThan(100);
        for (RaftNode n : List.of(leader, nodes.get(behind))) {
            assertThat(recorders.get(n.id()).configs()).as(n.id() + ": compaction or an install of the same "
                    + "configuration is no change").hasSize(1);
        }
    }

    @Test
    void slowWritesAreReported() throws Exception {
        Member only = MEMBERS.get(0);
        Recorder r = new Recorder();
        LogStorage slow = new ForwardingLogStorage(new InMemoryLogStorage()) {
            @Override
            public void sync() throws IOException {
                try {
                    Thread.sleep(40);                        // the disk under test is slow, not a wait
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.sync();
            }
        };
        RaftNode node = RaftNode.builder().id(only.id()).members(only).stateMachine(new SnapshotStateMachine())
                .logStorage(slow).transport(hub.transport()).randomSeed(3)
                .options(OPTIONS.withSlowDiskThreshold(Duration.ofMillis(20))).build();
        nodes.put(only.id(), node);
        node.addListener(r);
        node.start();
        Await.until("the node to lead", WAIT, () -> node.status().isLeader());
        writeAll(node, 3);
        Await.until("a slow disk report", WAIT, () -> r.events.stream().anyMatch(e -> e instanceof RaftEvent.SlowDisk));
        RaftEvent.SlowDisk s = r.events.stream().filter(e -> e instanceof RaftEvent.SlowDisk)
                .map(RaftEvent.SlowDisk.class::cast).findFirst().orElseThrow();
        assertThat(s.took()).isGreaterThanOrEqualTo(Duration.ofMillis(20));
        assertThat(s.threshold()).isEqualTo(Duration.ofMillis(20));
    }

    private void startAll(RaftOptions options) throws IOException {
        for (Member m : MEMBERS) {
            Recorder r = new Recorder();
            RaftNode node = RaftNode.builder().id(m.id()).members(MEMBERS).stateMachine(new SnapshotStateMachine())
                    .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                    .transport(hub.transport()).randomSeed(m.id().hashCode()).options(options).build();
            node.addListener(r);
            nodes.put(m.id(), node);
            recorders.put(m.id(), r);
        }
        for (RaftNode n : nodes.values()) {
            n.start();
        }
    }

    private RaftNode awaitLeader() {
        RaftNode[] found = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            List<RaftNode> leaders = nodes.values().stream().filter(n -> n.status().isLeader()).toList();
            found[0] = leaders.size() == 1 ? leaders.get(0) : null;
            return found[0] != null;
        });
        return found[0];
    }

    private static void writeAll(RaftNode leader, int count) throws Exception {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(leader.submit(("c" + i).getBytes(StandardCharsets.UTF_8)));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static NodeId[] ids(String... names) {
        return java.util.Arrays.stream(names).map(NodeId::of).toArray(NodeId[]::new);
    }

    /** Records typed events and the older callbacks, in delivery order. */
    static final class Recorder implements RaftListener {
        final List<RaftEvent> events = new CopyOnWriteArrayList<>();
        final List<String> legacy = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(RaftEvent event) {
            events.add(event);
        }

        @Override
        public void onRoleChange(RaftRole role, long term) {
            legacy.add("role " + role + "@" + term);
        }

        @Override
        public void onLeaderChange(Optional<NodeId> leader, long term) {
            legacy.add("leader " + leader.map(NodeId::value).orElse("-") + "@" + term);
        }

        List<RaftEvent.RoleChanged> roles() {
            return events.stream().filter(e -> e instanceof RaftEvent.RoleChanged)
                    .map(RaftEvent.RoleChanged.class::cast).toList();
        }

        List<RaftEvent.ConfigurationChanged> configs() {
            return events.stream().filter(e -> e instanceof RaftEvent.ConfigurationChanged)
                    .map(RaftEvent.ConfigurationChanged.class::cast).toList();
        }
    }
}
