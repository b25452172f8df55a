package org.raftlib.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.RaftStatus;
import org.raftlib.ReadMode;
import org.raftlib.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RaftNode} must do over a given transport and log storage: elect, replicate, fail over, catch up
 * a restarted member, and refuse bad calls clearly. Subclasses supply the transport, the storage and the members.
 *
 * <p>Election timeouts are a few hundred milliseconds; waits poll conditions with deadlines, never fixed sleeps.
 */
public abstract class RaftNodeContract {

    /** Timeout of one awaited step; generous, because CI machines are slow and shared. */
    protected static final Duration WAIT = Duration.ofSeconds(20);

    private final Map<NodeId, RaftNode> nodes = new HashMap<>();
    private final Map<NodeId, RecordingStateMachine> machines = new HashMap<>();
    private List<Member> members;

    /** Returns {@code n} members with distinct ids and addresses. */
    protected abstract List<Member> members(int n);

    /** Returns a new, unstarted transport for {@code id}. */
    protected abstract Transport transport(NodeId id);

    /** Opens {@code id}'s log storage: empty at first, and what it made durable when opened again after a close. */
    protected abstract LogStorage openStorage(NodeId id) throws IOException;

    /** Returns the options of every node. */
    protected RaftOptions options() {
        return RaftOptions.defaults()
                .withTickInterval(Duration.ofMillis(10))
                .withElectionTimeout(Duration.ofMillis(300))
                .withHeartbeatInterval(Duration.ofMillis(30));
    }

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
    }

    /** Builds and starts every member. */
    protected void startCluster(int n) throws IOException {
        members = members(n);
        for (Member m : members) {
            start(m.id());
        }
    }

    /** Builds and starts (or restarts) one member, with a fresh state machine. */
    protected RaftNode start(NodeId id) throws IOException {
        RecordingStateMachine sm = new RecordingStateMachine();
        RaftNode node = RaftNode.builder().id(id).members(members).stateMachine(sm).logStorage(openStorage(id))
                .transport(transport(id)).options(options()).randomSeed(id.hashCode()).build();
        nodes.put(id, node);
        machines.put(id, sm);
        node.start();
        return node;
    }

    /** Waits until exactly one running node leads, and returns it. */
    protected RaftNode awaitLeader() {
        RaftNode[] found = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            List<RaftNode> leaders = nodes.values().stream()
                    .filter(n -> n.status().isLeader()).toList();
            found[0] = leaders.size() == 1 ? leaders.get(0) : null;
            return found[0] != null;
        });
        return found[0];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Submits {@code count} commands named {@code prefix-i} on the leader, retrying on leader changes. */
    protected void write(String prefix, int count) throws Exception {
        int i = 0;
        while (i < count) {
            RaftNode leader = awaitLeader();
            List<CompletableFuture<byte[]>> window = new ArrayList<>();
            int from = i;
            for (int j = from; j < Math.min(count, from + 64); j++) {
                window.add(leader.submit(bytes(prefix + "-" + j)));
            }
            try {
                for (CompletableFuture<byte[]> f : window) {
                    assertThat(string(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))).endsWith(prefix + "-" + i);
                    i++;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof NotLeaderException
                        || e.getCause() instanceof IndeterminateResultException)) {
                    throw e;
                }
                return;                                       // the test asserts on what committed, not on retries
            }
        }
    }

    /** Waits until every running node has applied the same {@code count} commands, and returns them. */
    protected List<String> awaitConverged(int count) {
        Await.until("every running node to apply " + count + " commands", WAIT, () -> nodes.entrySet().stream()
                .filter(e -> e.getValue().status().state() == NodeState.RUNNING)
                .allMatch(e -> machines.get(e.getKey()).size() == count));
        List<String> reference = null;
        for (Map.Entry<NodeId, RaftNode> e : nodes.entrySet()) {
            if (e.getValue().status().state() == NodeState.RUNNING) {
                List<String> applied = machines.get(e.getKey()).applied();
                if (reference == null) {
                    reference = applied;
                }
                assertThat(applied).as("commands applied on %s", e.getKey()).isEqualTo(reference);
            }
        }
        return reference;
    }

    @Test
    void threeNodesElectAndApplyThousandCommandsIdentically() throws Exception {
        startCluster(3);
        write("c", 1000);
        List<String> applied = awaitConverged(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(applied.get(i)).isEqualTo("c-" + i);
        }
    }

    @Test
    void newLeaderWithinTwoSecondsAfterLeaderClosesAndWritesContinue() throws Exception {
        startCluster(3);
        write("a", 100);
        RaftNode old = awaitLeader();
        old.close();
        long closedAt = System.nanoTime();
        Await.until("a new leader", Duration.ofSeconds(2), () -> nodes.values().stream()
                .anyMatch(n -> n != old && n.status().isLeader()));
        assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(Duration.ofSeconds(2));
        write("b", 100);
        List<String> applied = awaitConverged(200);
        assertThat(applied).startsWith("a-0").contains("b-99");
    }

    @Test
    void restartedFollowerCatchesUpAndReplaysItsLog() throws Exception {
        startCluster(3);
        write("a", 200);
        awaitConverged(200);
        NodeId follower = nodes.entrySet().stream().filter(e -> !e.getValue().status().isLeader())
                .findFirst().orElseThrow().getKey();
        nodes.get(follower).close();
        write("b", 300);
        start(follower);
        List<String> applied = awaitConverged(500);
        assertThat(machines.get(follower).applied()).isEqualTo(applied);
    }

    @Test
    void followerForwardsSubmitAndCompletesWithTheResultComputedThere() throws Exception {
        startCluster(3);
        RaftNode leader = awaitLeader();
        write("x", 1);
        RaftNode follower = nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
        Await.until("the follower to know the leader", WAIT,
                () -> follower.status().leader().equals(Optional.of(leader.id())));
        byte[] result = follower.submit(bytes("y")).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(string(result)).endsWith(":y");
        assertThat(awaitConverged(2)).containsOnlyOnce("y");
    }

    @Test
    void readsSeeAcknowledgedWritesOnEveryNodeAndInEveryMode() throws Exception {
        startCluster(3);
        write("r", 50);
        RaftNode leader = awaitLeader();
        byte[] count = leader.query(bytes("count"), ReadMode.LINEARIZABLE).get(5, TimeUnit.SECONDS);
        assertThat(Integer.parseInt(string(count))).isGreaterThanOrEqualTo(50);
        byte[] leased = leader.query(bytes("count"), ReadMode.LEASE).get(5, TimeUnit.SECONDS);
        assertThat(Integer.parseInt(string(leased))).isGreaterThanOrEqualTo(50);
        for (RaftNode follower : nodes.values().stream().filter(n -> n != leader).toList()) {
            // a follower that has not heard from the leader yet refuses reads with NotLeaderException (documented)
            Await.until(follower.id() + " to know the leader", WAIT,
                    () -> follower.status().leader().equals(Optional.of(leader.id())));
            for (ReadMode mode : List.of(ReadMode.LINEARIZABLE, ReadMode.LEASE)) {
                byte[] onFollower = follower.query(bytes("count"), mode).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(Integer.parseInt(string(onFollower))).as("%s on %s", mode, follower.id())
                        .isGreaterThanOrEqualTo(50);
            }
            byte[] bounded = follower.queryBounded(bytes("count"), Duration.ZERO).get(WAIT.toMillis(),
                    TimeUnit.MILLISECONDS);
            assertThat(Integer.parseInt(string(bounded))).isGreaterThanOrEqualTo(50);
            byte[] stale = follower.query(bytes("count"), ReadMode.STALE).get(5, TimeUnit.SECONDS);
            assertThat(Integer.parseInt(string(stale))).isBetween(0, 50);
        }
    }

    @Test
    void leadershipTransferMovesLeadershipToTheTarget() throws Exception {
        startCluster(3);
        write("t", 20);
        RaftNode leader = awaitLeader();
        RaftNode target = nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
        leader.transferLeadership(target.id().value()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("the target to lead", WAIT, () -> target.status().isLeader());
        assertThat(awaitLeader()).isSameAs(target);
        CompletableFuture<Void> onFollower = leader.transferLeadership(target.id());
        assertThatThrownBy(() -> onFollower.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(NotLeaderException.class);
        write("after", 20);
        assertThat(awaitConverged(40)).contains("after-19");
    }

    @Test
    void statusShowsLeaderAndPeerProgress() throws Exception {
        startCluster(3);
        write("s", 10);
        RaftNode leader = awaitLeader();
        Await.until("peers to match", WAIT, () -> leader.status().peers().values().stream()
                .allMatch(p -> p.matchIndex() >= 11));
        RaftStatus s = leader.status();
        assertThat(s.leader()).contains(leader.id());
        assertThat(s.members()).hasSize(3);
        assertThat(s.peers()).hasSize(2);
        assertThat(s.commitIndex()).isGreaterThanOrEqualTo(11);
    }

    @Test
    void closedNodeRefusesCallsAndCloseIsIdempotent() throws Exception {
        startCluster(3);
        RaftNode node = nodes.values().iterator().next();
        node.close();
        node.close();
        assertThat(node.status().state()).isEqualTo(NodeState.CLOSED);
        assertThatThrownBy(() -> node.submit(bytes("late")).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RaftClosedException.class);
        assertThatThrownBy(() -> node.query(bytes("q"), ReadMode.STALE).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RaftClosedException.class);
        assertThatThrownBy(node::start).isInstanceOf(IllegalStateException.class);
    }
}
