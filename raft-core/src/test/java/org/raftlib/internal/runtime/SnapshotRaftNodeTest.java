package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Health;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftMetrics;
import org.raftlib.RaftOptions;
import org.raftlib.RaftStatus;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.KeptOpen;
import org.raftlib.testkit.RecordingStateMachine;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * Snapshots end to end on the in-process stack: automatic snapshots and compaction, a follower that missed compacted
 * entries catching up by InstallSnapshot (in many small chunks), a follower whose data was wiped, a restart that
 * restores the newest snapshot and replays only the log after it, and {@code takeSnapshot()}.
 */
class SnapshotRaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(150)).withHeartbeatInterval(Duration.ofMillis(20))
            .withSnapshotPolicy(50, Long.MAX_VALUE, 10).withSnapshotTransfer(1024, 2);

    private final LocalTransport.Hub hub = LocalTransport.hub(11);
    private final Map<NodeId, InMemoryLogStorage> logs = new HashMap<>();
    private final Map<NodeId, InMemorySnapshotStore> snapshots = new HashMap<>();
    private final Map<NodeId, SnapshotStateMachine> machines = new HashMap<>();
    private final Map<NodeId, RaftNode> nodes = new HashMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void followerCutOffWhileTheLeaderCompactsCatchesUpBySnapshot() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        NodeId behind = follower(leader);
        hub.isolate(behind);

        writeAll(leader, 0, 300);
        Await.until("the leader to compact", WAIT, () -> leader.status().firstLogIndex() > 100);
        hub.heal();

        Await.until(behind + " to catch up", WAIT, () -> machines.get(behind).size() == 300);
        assertThat(machines.get(behind).applied()).isEqualTo(machines.get(leader.id()).applied());
        assertThat(machines.get(behind).restores()).as("caught up from a snapshot").isPositive();
        RaftStatus s = nodes.get(behind).status();
        assertThat(s.latestSnapshot()).isPresent();
        assertThat(s.firstLogIndex()).isEqualTo(s.latestSnapshot().get().index() + 1);

        writeAll(leader, 300, 320);
        Await.until(behind + " to follow with appends", WAIT, () -> machines.get(behind).size() == 320);
        assertThat(machines.get(behind).applied()).isEqualTo(machines.get(leader.id()).applied());
    }

    @Test
    void followerWhoseDataWasWipedRejoinsBySnapshot() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        NodeId wiped = compactAndWipeAFollower(leader);

        start(wiped);
        Await.until(wiped + " to catch up", WAIT, () -> machines.get(wiped).size() == 200);
        assertThat(machines.get(wiped).applied()).isEqualTo(machines.get(leader.id()).applied());
        assertThat(machines.get(wiped).applies()).as("most of it came in the snapshot").isLessThan(200);
    }

    /**
     * A follower that cannot store the snapshot (its disk full) is offered it again after growing pauses, not in a
     * loop, and catches up once it has room again.
     */
    @Test
    void followerWithAFullDiskIsOfferedTheSnapshotAtABoundedRateAndCatchesUpOnceItHasRoom() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        NodeId full = compactAndWipeAFollower(leader);
        InMemorySnapshotStore store = new InMemorySnapshotStore();
        snapshots.put(full, store);
        FullDisk disk = new FullDisk(store);

        start(full, disk);
        Await.until("nine attempts to store the snapshot", WAIT, () -> disk.attempts.size() >= 9);
        long first = disk.attempts.get(0);
        long ninth = disk.attempts.get(8);
        assertThat(Duration.ofNanos(ninth - first)).as("two senders' pauses (100 and 200 ms each) and the "
                + "leader's backoff (an election timeout, 150 ms) between them").isGreaterThan(Duration.ofMillis(300));
        Health h = nodes.get(full).health();
        assertThat(h.live()).isTrue();
        assertThat(h.readyReason()).as("it holds nothing (found by a probe: it read ready, the lag under the bound)")
                .hasValueSatisfying(r -> assertThat(r).contains("could not take the snapshot at index")
                        .contains("No space left on device"));

        disk.full = false;
        Await.until(full + " to catch up", WAIT, () -> machines.get(full).size() == 200);
        assertThat(machines.get(full).applied()).isEqualTo(machines.get(leader.id()).applied());
        Await.until(full + " to read ready again", WAIT, () -> nodes.get(full).health().ready());
    }

    @Test
    void restartRestoresTheNewestSnapshotAndReplaysOnlyTheLogAfterIt() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        writeAll(leader, 0, 230);
        NodeId restarted = follower(leader);
        Await.until(restarted + " to apply everything", WAIT, () -> machines.get(restarted).size() == 230);
        Await.until(restarted + " to snapshot", WAIT,
                () -> nodes.get(restarted).status().latestSnapshot().map(SnapshotMeta::index).orElse(0L) >= 200);
        long snapshotIndex = nodes.get(restarted).status().latestSnapshot().get().index();
        nodes.remove(restarted).close();

        start(restarted);
        Await.until(restarted + " to come back", WAIT, () -> machines.get(restarted).size() == 230);
        SnapshotStateMachine fresh = machines.get(restarted);
        assertThat(fresh.restores()).isEqualTo(1);
        assertThat(fresh.applies()).as("replays only what follows index %d", snapshotIndex)
                .isLessThanOrEqualTo((int) (232 - snapshotIndex));
        assertThat(fresh.applied()).isEqualTo(machines.get(leader.id()).applied());
    }

    /**
     * The configuration is reported at the index of its entry on every node: on the leader once it compacted that
     * entry, on a follower that installed a snapshot, on one restarted from its own. It used to become the
     * compaction point or the snapshot's index, so the nodes disagreed (operability probe).
     */
    @Test
    void everyNodeReportsTheConfigurationAtTheIndexOfItsEntryAfterSnapshotsAndCompaction() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        leader.addLearner(Member.of("n4", "local-4")).get(10, TimeUnit.SECONDS);
        long changed = leader.status().configurationIndex();
        assertThat(changed).isPositive();
        NodeId wiped = compactAndWipeAFollower(leader);
        NodeId restarted = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id()) && !id.equals(wiped))
                .findFirst().orElseThrow();
        Await.until(restarted + " to snapshot", WAIT, () -> nodes.get(restarted).status().firstLogIndex() > changed);
        nodes.remove(restarted).close();

        start(wiped);
        start(restarted);
        Await.until("both to catch up", WAIT, () -> machines.get(wiped).size() == 200
                && machines.get(restarted).size() == 200);
        assertThat(machines.get(wiped).restores()).as("installed from the leader").isPositive();
        assertThat(machines.get(restarted).restores()).as("restored its own snapshot").isPositive();
        assertThat(leader.status().firstLogIndex()).as("the leader compacted the entry").isGreaterThan(changed);
        for (RaftNode n : nodes.values()) {
            RaftStatus s = n.status();
            assertThat(s.configurationIndex()).as(n.id().toString()).isEqualTo(changed);
            assertThat(s.configuration().learners()).as(n.id().toString()).containsExactly(NodeId.of("n4"));
            assertThat(s.latestSnapshot().orElseThrow().configIndex()).as(n.id().toString()).isEqualTo(changed);
        }
    }

    @Test
    void takeSnapshotReturnsTheIndexItCoversAndCompacts() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        writeAll(leader, 0, 20);
        long index = leader.takeSnapshot().get(10, TimeUnit.SECONDS);

        assertThat(index).isGreaterThanOrEqualTo(21);
        assertThat(leader.status().latestSnapshot().map(SnapshotMeta::index)).contains(index);
        assertThat(leader.takeSnapshot().get(10, TimeUnit.SECONDS)).as("nothing new: the same one").isEqualTo(index);
    }

    @Test
    void takeSnapshotWithoutSupportFailsClearly() throws Exception {
        RaftNode noStore = RaftNode.builder().id("n1").members(MEMBERS.get(0)).stateMachine(new SnapshotStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).randomSeed(3).options(OPTIONS)
                .build();
        RaftNode noSupport = RaftNode.builder().id("n2").members(MEMBERS.get(1))
                .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage())
                .snapshotStore(new InMemorySnapshotStore()).transport(hub.transport()).randomSeed(4).options(OPTIONS)
                .build();
        try {
            for (RaftNode n : List.of(noStore, noSupport)) {
                n.start();
                Await.until(n.id() + " to lead", WAIT, () -> n.status().isLeader());
                n.submit(bytes("x")).get(10, TimeUnit.SECONDS);
                assertThatThrownBy(() -> n.takeSnapshot().get(10, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(UnsupportedOperationException.class);
            }
        } finally {
            noStore.close();
            noSupport.close();
        }
    }

    /**
     * A failed write fails the requests waiting for it, whatever it throws (an Error left them waiting forever and
     * stopped snapshots for good), and the next request writes a snapshot: it completed at once with the index of the
     * one that failed, which did not exist.
     */
    @Test
    void aFailedSnapshotWriteFailsItsRequestsAndTheNextRequestWritesOne() throws Exception {
        FailNextWrite store = new FailNextWrite(new InMemorySnapshotStore());
        AtomicInteger failures = new AtomicInteger();
        RaftNode node = RaftNode.builder().id("n1").members(MEMBERS.get(0)).stateMachine(new SnapshotStateMachine())
                .logStorage(new InMemoryLogStorage()).snapshotStore(store).transport(hub.transport()).randomSeed(5)
                .metrics(new RaftMetrics() {
                    @Override
                    public void snapshotFailed() {
                        failures.incrementAndGet();
                    }
                }).options(OPTIONS).build();
        nodes.put(node.id(), node);
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        for (Throwable failure : List.of(new IOException("No space left on device"), new AssertionError("bug"))) {
            node.submit(bytes("x")).get(10, TimeUnit.SECONDS);
            store.next = failure;
            assertThatThrownBy(() -> node.takeSnapshot().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasRootCauseMessage(failure.getMessage())
                    .satisfies(e -> assertThat(e.getCause().getMessage()).as("the cause, in the message a client sees")
                            .isEqualTo("n1 could not write the snapshot: " + failure));
            assertThat(failures.get()).as("counted (a probe found no meter for it)").isPositive();
            failures.set(0);

            long index = node.takeSnapshot().get(10, TimeUnit.SECONDS);

            assertThat(node.status().latestSnapshot().map(SnapshotMeta::index)).contains(index);
            assertThat(store.latest().map(SnapshotMeta::index)).contains(index);
        }
    }

    private void startAll() throws IOException {
        for (Member m : MEMBERS) {
            start(m.id());
        }
    }

    /** Starts (or restarts) a node on what its previous incarnation synced, with a fresh state machine. */
    private void start(NodeId id) throws IOException {
        start(id, new KeptOpen.Snapshots(snapshots.computeIfAbsent(id, k -> new InMemorySnapshotStore())));
    }

    private void start(NodeId id, SnapshotStore store) throws IOException {
        InMemoryLogStorage previous = logs.get(id);
        InMemoryLogStorage log = previous == null ? new InMemoryLogStorage() : previous.crashCopy();
        logs.put(id, log);
        SnapshotStateMachine machine = new SnapshotStateMachine();
        machines.put(id, machine);
        RaftNode node = RaftNode.builder().id(id).members(MEMBERS).stateMachine(machine)
                .logStorage(KeptOpen.log(log))
                .snapshotStore(store).transport(hub.transport()).randomSeed(id.hashCode())
                .options(OPTIONS).build();
        nodes.put(id, node);
        node.start();
    }

    /** Writes 200 commands, waits for the leader to compact, and stops a follower, its log and snapshots gone. */
    private NodeId compactAndWipeAFollower(RaftNode leader) throws Exception {
        writeAll(leader, 0, 200);
        Await.until("the leader to compact", WAIT, () -> leader.status().firstLogIndex() > 100);
        NodeId wiped = follower(leader);
        nodes.remove(wiped).close();
        logs.remove(wiped);
        snapshots.remove(wiped);
        return wiped;
    }

    private RaftNode awaitLeader() {
        Await.until("a leader", WAIT, () -> nodes.values().stream().anyMatch(n -> n.status().isLeader()));
        return nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
    }

    private static NodeId follower(RaftNode leader) {
        return MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
    }

    private static void writeAll(RaftNode leader, int from, int to) throws Exception {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = from; i < to; i++) {
            futures.add(leader.submit(bytes("c" + i)));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A snapshot store on a disk without room: every write fails while {@code full}; records when each was tried. */
    private static final class FullDisk extends KeptOpen.Snapshots {
        final List<Long> attempts = new CopyOnWriteArrayList<>();
        volatile boolean full = true;

        FullDisk(SnapshotStore delegate) {
            super(delegate);
        }

        @Override
        public Writer write(SnapshotMeta meta) throws IOException {
            attempts.add(System.nanoTime());
            if (full) {
                throw new IOException("No space left on device");
            }
            return super.write(meta);
        }
    }

    /** A snapshot store whose next write throws {@code next}, once. */
    private static final class FailNextWrite extends KeptOpen.Snapshots {
        volatile Throwable next;

        FailNextWrite(SnapshotStore delegate) {
            super(delegate);
        }

        @Override
        public Writer write(SnapshotMeta meta) throws IOException {
            Throwable t = next;
            next = null;
            if (t instanceof IOException e) {
                throw e;
            } else if (t instanceof Error e) {
                throw e;
            }
            return super.write(meta);
        }
    }
}
