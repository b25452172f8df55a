package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.ClientSession;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.SessionExpiredException;
import org.raftlib.StateMachine;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.KeptOpen;
import org.raftlib.testkit.RecordingStateMachine;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * Client sessions end to end on the in-process stack: a command retried after its leader died is applied once and
 * answered with the original result; deduplication survives snapshots, log compaction and a restart of every node
 * (and, for a state machine without snapshots, a replay of the log); idle sessions expire by log time; a session
 * keeps retrying through leadership changes. Each test counts how often every command reached the state machines.
 */
class SessionRaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(150)).withHeartbeatInterval(Duration.ofMillis(20))
            .withSnapshotPolicy(50, Long.MAX_VALUE, 10);

    private final LocalTransport.Hub hub = LocalTransport.hub(17);
    private final Map<NodeId, InMemoryLogStorage> logs = new HashMap<>();
    private final Map<NodeId, InMemorySnapshotStore> snapshots = new HashMap<>();
    private final Map<NodeId, StateMachine> machines = new HashMap<>();
    private final Map<NodeId, RaftNode> nodes = new HashMap<>();
    private Supplier<StateMachine> machineFactory = SnapshotStateMachine::new;
    private RaftOptions options = OPTIONS;

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void aCommandRetriedAfterItsLeaderDiedIsAppliedOnceWithTheOriginalResult() throws Exception {
        startAll();
        RaftNode first = awaitLeader();
        ClientSession session = first.openSession().get(10, TimeUnit.SECONDS);
        assertThat(text(session.submit(bytes("a")).get(10, TimeUnit.SECONDS))).endsWith(":a");
        String original = text(session.submit(bytes("b")).get(10, TimeUnit.SECONDS));
        long nextSequence = session.nextSequence();
        kill(first.id());                                   // the client never heard back about "b"

        RaftNode second = awaitLeader();
        assertThat(text(second.resumeSession(session.id(), nextSequence - 1).submit(bytes("b"))
                .get(10, TimeUnit.SECONDS))).as("the original result, not a new apply").isEqualTo(original);
        ClientSession resumed = second.resumeSession(session.id(), nextSequence);
        assertThat(text(resumed.submit(bytes("c")).get(10, TimeUnit.SECONDS))).endsWith(":c");

        hub.isolate(second.id());                           // "d" reaches only the isolated leader's log
        CompletableFuture<byte[]> lost = second.submit(bytes("plain"));
        ClientSession onIsolated = second.resumeSession(session.id(), nextSequence + 1);
        CompletableFuture<byte[]> d = onIsolated.submit(bytes("d"));
        Await.until(second.id() + " to append d (or step down first)", WAIT,
                () -> second.status().lastLogIndex() >= lastIndexOf(second) || !second.status().isLeader());
        kill(second.id());
        assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IndeterminateResultException.class);
        assertThatThrownBy(() -> d.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        hub.heal();
        start(first.id());
        RaftNode third = awaitLeader();
        assertThat(text(third.resumeSession(session.id(), nextSequence + 1).submit(bytes("d"))
                .get(10, TimeUnit.SECONDS))).endsWith(":d");
        start(second.id());
        awaitSameState(List.of("a", "b", "c", "d"));
    }

    /**
     * The thesis's case: the leader replicates a command but never learns that it committed; the next leader commits
     * it; the session's own retry then gets the original result (the index of the first copy) and applies nothing.
     */
    @Test
    void aCommandCommittedByTheNextLeaderIsNotAppliedAgainWhenTheSessionRetriesIt() throws Exception {
        startAll();
        RaftNode first = awaitLeader();
        ClientSession session = first.openSession().get(10, TimeUnit.SECONDS);
        session.submit(bytes("warm")).get(10, TimeUnit.SECONDS);
        List<NodeId> followers = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(first.id())).toList();
        followers.forEach(f -> hub.dropLink(f, first.id()));    // appends arrive, answers do not
        long index = first.status().lastLogIndex() + 1;
        CompletableFuture<byte[]> once = session.submit(bytes("once"));

        Await.until("a new leader to commit it", WAIT, () -> followers.stream()
                .allMatch(f -> applied(f).contains("once")));
        hub.heal();
        RaftNode second = awaitLeader();
        if (!second.id().equals(first.id())) {
            second.transferLeadership(first.id()).get(10, TimeUnit.SECONDS);    // back to the session's node
        }
        assertThat(text(once.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))).isEqualTo(index + ":once");
        awaitSameState(List.of("warm", "once"));
    }

    @Test
    void concurrentRetriesOfOneCommandApplyItOnce() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        long id = leader.openSession().get(10, TimeUnit.SECONDS).id();
        List<CompletableFuture<byte[]>> copies = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            copies.add(leader.resumeSession(id, 1).submit(bytes("once")));
        }
        String result = text(copies.get(0).get(10, TimeUnit.SECONDS));
        for (CompletableFuture<byte[]> f : copies) {
            assertThat(text(f.get(10, TimeUnit.SECONDS))).isEqualTo(result);
        }
        awaitSameState(List.of("once"));
    }

    @Test
    void sessionDedupSurvivesASnapshotAndARestartOfEveryNode() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        ClientSession session = leader.openSession().get(10, TimeUnit.SECONDS);
        String last = null;
        for (int i = 1; i <= 5; i++) {
            last = text(session.submit(bytes("s" + i)).get(10, TimeUnit.SECONDS));   // acknowledges the ones before
        }
        writePlain(leader, 120);                            // snapshots, and compaction past the session entries
        for (NodeId id : nodes.keySet()) {
            Await.until(id + " to compact past the session", WAIT, () -> nodes.get(id).status().firstLogIndex() > 20);
        }
        restartAll();
        for (NodeId id : nodes.keySet()) {
            assertThat(((SnapshotStateMachine) machines.get(id)).restores()).as("%s restored a snapshot", id)
                    .isEqualTo(1);
        }

        RaftNode next = awaitLeader();
        ClientSession replay = next.resumeSession(session.id(), 5);      // re-sends the one it has no answer for
        assertThat(text(replay.submit(bytes("s5")).get(10, TimeUnit.SECONDS))).as("the original result of s5")
                .isEqualTo(last);
        assertThat(text(replay.submit(bytes("s6")).get(10, TimeUnit.SECONDS))).endsWith(":s6");
        assertThatThrownBy(() -> next.resumeSession(session.id(), 3).submit(bytes("s3")).get(10, TimeUnit.SECONDS))
                .as("acknowledged: refused, never applied again").hasMessageContaining("below the results")
                .cause().isNotInstanceOf(SessionExpiredException.class);
        List<String> expected = new ArrayList<>(List.of("s1", "s2", "s3", "s4", "s5"));
        for (int i = 0; i < 120; i++) {
            expected.add("p" + i);
        }
        expected.add("s6");
        awaitSameState(expected);
    }

    @Test
    void withoutSnapshotsTheTableIsRebuiltByReplayingTheLog() throws Exception {
        machineFactory = RecordingStateMachine::new;
        startAll();
        RaftNode leader = awaitLeader();
        ClientSession session = leader.openSession().get(10, TimeUnit.SECONDS);
        String original = text(session.submit(bytes("x")).get(10, TimeUnit.SECONDS));
        awaitSameState(List.of("x"));
        restartAll();

        RaftNode next = awaitLeader();
        assertThat(text(next.resumeSession(session.id(), 1).submit(bytes("x")).get(10, TimeUnit.SECONDS)))
                .isEqualTo(original);
        assertThat(text(next.resumeSession(session.id(), 2).submit(bytes("y")).get(10, TimeUnit.SECONDS)))
                .endsWith(":y");
        awaitSameState(List.of("x", "y"));
    }

    @Test
    void anIdleSessionExpiresByLogTime() throws Exception {
        options = OPTIONS.withSessionTimeout(Duration.ofSeconds(1));
        startAll();
        RaftNode leader = awaitLeader();
        ClientSession idle = leader.openSession().get(10, TimeUnit.SECONDS);
        idle.submit(bytes("before")).get(10, TimeUnit.SECONDS);
        long since = System.currentTimeMillis();
        Await.until("the session timeout to pass on the leader's clock", WAIT,
                () -> System.currentTimeMillis() - since > 1_100);

        ClientSession fresh = leader.openSession().get(10, TimeUnit.SECONDS);   // stamps the log time forward
        assertThatThrownBy(() -> idle.submit(bytes("after")).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SessionExpiredException.class);
        assertThatThrownBy(() -> idle.submit(bytes("later")).get(10, TimeUnit.SECONDS)).as("fails fast now")
                .hasCauseInstanceOf(SessionExpiredException.class);
        fresh.submit(bytes("fresh")).get(10, TimeUnit.SECONDS);

        fresh.close().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> fresh.submit(bytes("closed")).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SessionExpiredException.class);
        assertThatThrownBy(() -> leader.resumeSession(fresh.id(), 2).submit(bytes("closed")).get(10, TimeUnit.SECONDS))
                .as("the table refuses it too").hasCauseInstanceOf(SessionExpiredException.class);
        awaitSameState(List.of("before", "fresh"));
    }

    @Test
    void aSessionRetriesThroughLeadershipChangesAndAppliesEachCommandOnce() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        NodeId other = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id())).findFirst()
                .orElseThrow();
        ClientSession session = leader.openSession().get(10, TimeUnit.SECONDS);
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            futures.add(session.submit(bytes("t" + i)));
            expected.add("t" + i);
        }
        leader.transferLeadership(other).get(10, TimeUnit.SECONDS);
        for (int i = 40; i < 80; i++) {
            futures.add(session.submit(bytes("t" + i)));  // refused by the follower: retried
            expected.add("t" + i);
        }
        nodes.get(other).transferLeadership(leader.id()).get(10, TimeUnit.SECONDS);
        for (CompletableFuture<byte[]> f : futures) {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        Await.until("every node to apply everything", WAIT,
                () -> nodes.keySet().stream().allMatch(id -> applied(id).size() >= 80));
        for (NodeId id : nodes.keySet()) {
            List<String> applied = applied(id);
            assertThat(applied).as("%s applied each command once", id).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
        awaitSameState(applied(leader.id()));
    }

    /**
     * A command is retried for at most sessionTimeout in all, as documented: its one attempt, forwarded by a follower
     * cut off from everyone, waited out the whole attempt timeout (10 s here) past a 2 s session timeout (a probe).
     */
    @Test
    void noAttemptOutlastsTheSessionTimeout() throws Exception {
        options = OPTIONS.withSessionTimeout(Duration.ofSeconds(2));
        startAll();
        RaftNode leader = awaitLeader();
        RaftNode follower = nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
        Await.until("the follower to know the leader", WAIT, () -> follower.status().leader().isPresent());
        ClientSession session = follower.openSession().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        hub.isolate(follower.id());
        long start = System.nanoTime();

        CompletableFuture<byte[]> f = session.submit(bytes("cut off"));

        assertThatThrownBy(() -> f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(IndeterminateResultException.class).hasMessageContaining("session timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("about the 2 s session timeout, not the 10 s "
                + "attempt timeout").isLessThan(Duration.ofSeconds(6));
        hub.heal();
    }

    /** Without forwarding a session on a node that stopped leading fails at once instead of retrying for minutes. */
    @Test
    void withForwardingOffASessionOnAFollowerFailsWithNotLeader() throws Exception {
        options = OPTIONS.withForwarding(false, Duration.ofSeconds(1));
        startAll();
        RaftNode leader = awaitLeader();
        ClientSession session = leader.openSession().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        NodeId other = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id())).findFirst()
                .orElseThrow();
        leader.transferLeadership(other).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        CompletableFuture<byte[]> f = session.submit(bytes("refused"));

        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(NotLeaderException.class);
    }

    /** Forwarding and sessions together: every command goes through a follower while leaders are killed. */
    @Test
    void aSessionOnAFollowerAppliesEachCommandOnceWhileLeadersAreKilled() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        NodeId through = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id())).findFirst()
                .orElseThrow();
        ClientSession session = nodes.get(through).openSession().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 20; i++) {
                futures.add(session.submit(bytes("f" + round + "-" + i)));
                expected.add("f" + round + "-" + i);
            }
            NodeId victim = awaitLeader().id();
            if (!victim.equals(through)) {
                kill(victim);                               // forwarded commands in flight lose their leader
                awaitLeader();
                start(victim);
            }
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        Await.until("every node to apply everything", WAIT,
                () -> nodes.keySet().stream().allMatch(id -> applied(id).size() >= expected.size()));
        for (NodeId id : nodes.keySet()) {
            assertThat(applied(id)).as("%s applied each command once", id).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    private long lastIndexOf(RaftNode node) {
        return node.status().commitIndex() + 2;             // "plain" and "d", appended after the commit point
    }

    private void awaitSameState(List<String> expected) {
        Await.until("every node to hold " + expected.size() + " commands", WAIT,
                () -> nodes.keySet().stream().allMatch(id -> applied(id).size() >= expected.size()));
        for (NodeId id : nodes.keySet()) {
            assertThat(applied(id)).as("the commands %s applied, each once", id).isEqualTo(expected);
            for (String c : expected) {
                assertThat(Collections.frequency(applied(id), c)).isEqualTo(1);
            }
        }
    }

    private List<String> applied(NodeId id) {
        StateMachine m = machines.get(id);
        return m instanceof SnapshotStateMachine s ? s.applied() : ((RecordingStateMachine) m).applied();
    }

    private void startAll() throws IOException {
        for (Member m : MEMBERS) {
            start(m.id());
        }
    }

    private void restartAll() throws IOException {
        for (Member m : MEMBERS) {
            kill(m.id());
        }
        startAll();
    }

    private void kill(NodeId id) {
        nodes.remove(id).close();
    }

    /** Starts (or restarts) a node on what its previous incarnation synced, with a fresh state machine. */
    private void start(NodeId id) throws IOException {
        InMemoryLogStorage previous = logs.get(id);
        InMemoryLogStorage log = previous == null ? new InMemoryLogStorage() : previous.crashCopy();
        logs.put(id, log);
        InMemorySnapshotStore store = snapshots.computeIfAbsent(id, k -> new InMemorySnapshotStore());
        StateMachine machine = machineFactory.get();
        machines.put(id, machine);
        RaftNode node = RaftNode.builder().id(id).members(MEMBERS).stateMachine(machine)
                .logStorage(KeptOpen.log(log))
                .snapshotStore(new KeptOpen.Snapshots(store)).transport(hub.transport()).randomSeed(id.hashCode())
                .options(options).build();
        nodes.put(id, node);
        node.start();
    }

    private RaftNode awaitLeader() {
        RaftNode[] leader = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            leader[0] = nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElse(null);
            return leader[0] != null;
        });
        return leader[0];
    }

    private static void writePlain(RaftNode leader, int n) throws Exception {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(leader.submit(bytes("p" + i)));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
