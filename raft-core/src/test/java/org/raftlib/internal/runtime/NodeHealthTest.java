package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Health;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.StateMachine;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;

/** {@link RaftNode#health()}: live and ready, and each reason for not being so. */
class NodeHealthTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Member N1 = Member.of("n1", "local-1");
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(100)).withHeartbeatInterval(Duration.ofMillis(20));

    private final LocalTransport.Hub hub = LocalTransport.hub(5);
    private final List<RaftNode> nodes = new ArrayList<>();

    @AfterEach
    void closeAll() {
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    private RaftNode build(StateMachine sm, RaftOptions options, Member... members) {
        RaftNode node = RaftNode.builder().id("n1").members(members).stateMachine(sm)
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).randomSeed(1).options(options)
                .build();
        nodes.add(node);
        return node;
    }

    @Test
    void aStartedLeaderIsLiveAndReadyAndAClosedOneIsNeither() throws Exception {
        RaftNode node = build(new RecordingStateMachine(), OPTIONS, N1);
        assertThat(node.health().live()).isFalse();
        assertThat(node.health().liveReason()).hasValue("n1 is not started");
        node.start();
        Await.until("n1 to be ready", WAIT, () -> node.health().ready());
        assertThat(node.health()).isEqualTo(Health.healthy());
        node.close();
        Health h = node.health();
        assertThat(h.live()).isFalse();
        assertThat(h.ready()).isFalse();
        assertThat(h.liveReason()).hasValue("n1 is closed");
        assertThat(h.readyReason()).hasValue("not live: n1 is closed");
    }

    @Test
    void aNodeWithoutALeaderIsLiveButNotReady() throws Exception {
        RaftNode node = build(new RecordingStateMachine(), OPTIONS, N1, Member.of("n2", "local-2"),
                Member.of("n3", "local-3"));                  // its peers never start: no quorum, no leader
        node.start();
        Await.holdsFor("n1 to stay unready", Duration.ofMillis(500), () -> !node.health().ready());
        Health h = node.health();
        assertThat(h.live()).isTrue();
        assertThat(h.readyReason()).hasValueSatisfying(r -> assertThat(r).startsWith("n1 ")
                .contains("knows no leader"));
    }

    /** Before the loop's first turn the reason named term -1 (found by an outside probe). */
    @Test
    void aNodeWhoseLoopHasNotTurnedYetNamesNoTerm() {
        Health h = NodeHealth.of(NodeId.of("n1"), NodeState.RUNNING, null, new NodeHealth.Published(null, -1, 0, 0,
                -1, null), 10);
        assertThat(h.readyReason()).hasValue("n1 is starting: it knows no leader yet");
    }

    /** A node no leader has reached in term 0 (a joining one, say) is told what it waits for (outside probe). */
    @Test
    void aNodeInTermZeroSaysNoLeaderReachedItYet() {
        Health h = NodeHealth.of(NodeId.of("n6"), NodeState.RUNNING, null, new NodeHealth.Published(null, 0, 0, 0,
                -1, null), 10);
        assertThat(h.readyReason()).hasValue("n6 knows no leader in term 0 (no leader has reached it yet; a node"
                + " started to join waits until a leader adds it)");
        Health later = NodeHealth.of(NodeId.of("n6"), NodeState.RUNNING, null, new NodeHealth.Published(null, 7, 0, 0,
                -1, null), 10);
        assertThat(later.readyReason()).hasValue("n6 knows no leader in term 7");
    }

    @Test
    void aNodeWhoseAppliesLagItsCommitsIsNotReadyUntilItCatchesUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        StateMachine blocked = new RecordingStateMachine() {
            @Override
            public byte[] apply(long index, byte[] command) {
                try {
                    release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.apply(index, command);
            }
        };
        RaftNode node = build(blocked, OPTIONS.withReadyMaxApplyLag(5), N1);
        node.start();
        Await.until("n1 to be ready", WAIT, () -> node.health().ready());
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            writes.add(node.submit(("w" + i).getBytes(StandardCharsets.UTF_8)));
        }
        Await.until("n1 to fall behind", WAIT, () -> !node.health().ready());
        assertThat(node.health().live()).isTrue();
        assertThat(node.health().readyReason()).hasValueSatisfying(r -> assertThat(r)
                .contains("entries behind the commit index").contains("(ready within 5)"));
        release.countDown();
        for (CompletableFuture<byte[]> w : writes) {
            w.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        Await.until("n1 to be ready again", WAIT, () -> node.health().ready());
    }

    @Test
    void aFailedNodeIsNotLiveAndSaysWhy() throws Exception {
        StateMachine broken = new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                throw new IllegalArgumentException("boom");
            }
        };
        RaftNode node = build(broken, OPTIONS, N1);
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        assertThatThrownBy(() -> node.submit(new byte[] {1}).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isNotNull();
        Await.until("n1 to fail", WAIT, () -> node.status().state() == NodeState.FAILED);
        Health h = node.health();
        assertThat(h.live()).isFalse();
        assertThat(h.liveReason()).hasValueSatisfying(r -> assertThat(r).startsWith("n1 has failed")
                .contains("state machine threw"));
    }

    @Test
    void optionsHaveDefaultsAndCheckTheirArguments() {
        RaftOptions d = RaftOptions.defaults();
        assertThat(d.readyMaxApplyLag()).isEqualTo(10_000);
        assertThat(d.slowDiskThreshold()).isEqualTo(Duration.ofMillis(500));
        assertThat(d.withReadyMaxApplyLag(0).readyMaxApplyLag()).isZero();
        assertThat(d.withSlowDiskThreshold(Duration.ofMillis(5)).withElectionTimeout(Duration.ofSeconds(1))
                .slowDiskThreshold()).as("kept by other withers").isEqualTo(Duration.ofMillis(5));
        assertThatThrownBy(() -> d.withReadyMaxApplyLag(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withSlowDiskThreshold(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void healthRejectsInconsistentValues() {
        assertThatThrownBy(() -> new Health(false, true, Optional.of("x"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Health(true, true, Optional.of("x"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Health.notReady("why").readyReason()).hasValue("why");
    }
}
