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

    private static final long STALL = Duration.ofSeconds(5).toNanos();

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
                -1, null, null), 10, STALL, 0);
        assertThat(h.readyReason()).hasValue("n1 is starting: it knows no leader yet");
    }

    /** A node no leader has reached in term 0 (a joining one, say) is told what it waits for (outside probe). */
    @Test
    void aNodeInTermZeroSaysNoLeaderReachedItYet() {
        Health h = NodeHealth.of(NodeId.of("n6"), NodeState.RUNNING, null, new NodeHealth.Published(null, 0, 0, 0,
                -1, null, null), 10, STALL, 0);
        assertThat(h.readyReason()).hasValue("n6 knows no leader in term 0 (no leader has reached it yet; a node"
                + " started to join waits until a leader adds it)");
        Health later = NodeHealth.of(NodeId.of("n6"), NodeState.RUNNING, null, new NodeHealth.Published(null, 7, 0, 0,
                -1, null, null), 10, STALL, 0);
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

    /** A state machine stuck in one call read ready until 10,000 entries piled up behind it (outside probe). */
    @Test
    void anApplyThreadThatMakesNoProgressIsNotReady() {
        long now = 100_000_000_000L;
        ApplyWorker.Busy stuck = new ApplyWorker.Busy(now - Duration.ofSeconds(6).toNanos(), "applying index 3");
        Health h = NodeHealth.of(NodeId.of("n2"), NodeState.RUNNING, null, new NodeHealth.Published(NodeId.of("n1"),
                4, 9, 2, -1, null, stuck), 10_000, STALL, now);
        assertThat(h.live()).isTrue();
        assertThat(h.readyReason()).hasValue("n2's apply thread has made no progress for 6000 ms (applying index 3;"
                + " applied up to index 2 of 9 committed): the state machine, or a callback run on its thread, is slow"
                + " or stuck (ready within 5000 ms)");
        ApplyWorker.Busy working = new ApplyWorker.Busy(now - Duration.ofSeconds(4).toNanos(), "applying index 3");
        assertThat(NodeHealth.of(NodeId.of("n2"), NodeState.RUNNING, null, new NodeHealth.Published(NodeId.of("n1"),
                4, 9, 2, -1, null, working), 10_000, STALL, now)).isEqualTo(Health.healthy());
    }

    /**
     * The applied index is published after each entry, not after each batch of up to 1,024 (a probe saw a status
     * reading "applied 1" after 20 commands had completed), and a state machine stuck in a call reads not ready.
     */
    @Test
    void theAppliedIndexMovesWithEachEntryAndAStuckApplyIsNotReady() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        StateMachine sm = new RecordingStateMachine() {
            @Override
            public byte[] apply(long index, byte[] command) {
                String c = new String(command, StandardCharsets.UTF_8);
                try {
                    (c.equals("gate") ? gate : c.equals("stuck") ? stuck : new CountDownLatch(0))
                            .await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.apply(index, command);
                return Long.toString(index).getBytes(StandardCharsets.UTF_8);
            }
        };
        RaftNode node = build(sm, OPTIONS.withReadyMaxApplyStall(Duration.ofMillis(300)), N1);
        node.start();
        Await.until("n1 to be ready", WAIT, () -> node.health().ready());
        CompletableFuture<byte[]> held = node.submit(bytes("gate"));
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (String c : List.of("w0", "w1", "stuck", "w3")) {
            writes.add(node.submit(bytes(c)));
        }
        Await.until("every write committed", WAIT, () -> node.status().commitIndex() == node.status().lastLogIndex()
                && node.status().lastLogIndex() >= 6);
        gate.countDown();                                    // the queued writes are now taken as one batch
        long w1 = Long.parseLong(new String(writes.get(1).get(WAIT.toMillis(), TimeUnit.MILLISECONDS),
                StandardCharsets.UTF_8));

        assertThat(node.status().appliedIndex()).as("published before the batch ends").isEqualTo(w1);
        Await.until("n1 to read stuck", WAIT, () -> !node.health().ready());
        assertThat(node.health().readyReason()).hasValueSatisfying(r -> assertThat(r)
                .contains("apply thread has made no progress").contains("(applying index " + (w1 + 1) + ";"));
        stuck.countDown();
        writes.get(3).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        held.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Await.until("n1 to be ready again", WAIT, () -> node.health().ready());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
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
        assertThat(d.readyMaxApplyStall()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.withReadyMaxApplyStall(Duration.ofMillis(7)).withReadyMaxApplyLag(3).readyMaxApplyStall())
                .as("kept by other withers").isEqualTo(Duration.ofMillis(7));
        assertThatThrownBy(() -> d.withReadyMaxApplyStall(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
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
