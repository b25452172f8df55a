package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftMetrics;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.Ready;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.message.MessageType;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * {@link RaftMetrics} on the in-process stack: every callback is made, with sane values, on a three-node cluster that
 * elects, replicates, snapshots and catches a follower up by InstallSnapshot; a metrics implementation that throws
 * does not hurt the node; and the latency sampling keeps to this node's own proposals of its current term.
 */
class RaftMetricsRuntimeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long TEN_SECONDS = TimeUnit.SECONDS.toNanos(10);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(150)).withHeartbeatInterval(Duration.ofMillis(20))
            .withSnapshotPolicy(50, Long.MAX_VALUE, 10).withSnapshotTransfer(1024, 2);

    private final LocalTransport.Hub hub = LocalTransport.hub(17);
    private final Map<NodeId, Recorder> recorders = new HashMap<>();
    private final Map<NodeId, SnapshotStateMachine> machines = new HashMap<>();
    private final Map<NodeId, RaftNode> nodes = new HashMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void everyCallbackIsMadeWithSaneValues() throws Exception {
        for (Member m : MEMBERS) {
            start(m.id(), new Recorder());
        }
        Await.until("a leader", WAIT, () -> nodes.values().stream().anyMatch(n -> n.status().isLeader()));
        RaftNode leader = nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
        NodeId behind = MEMBERS.stream().map(Member::id).filter(id -> !id.equals(leader.id())).findFirst()
                .orElseThrow();
        hub.isolate(behind);
        writeAll(leader, 300);
        Await.until("the leader to compact", WAIT, () -> leader.status().firstLogIndex() > 100);
        hub.heal();
        Await.until(behind + " to catch up", WAIT, () -> machines.get(behind).size() == 300);

        Recorder l = recorders.get(leader.id());
        assertThat(l.electionsStarted.get()).isPositive();
        assertThat(l.electionsWon.get()).isPositive();
        for (Recorder r : recorders.values()) {
            assertThat(r.leaders).as("every node saw the leader").contains(leader.id());
        }
        assertThat(l.appendLatencies).isNotEmpty().allMatch(n -> n > 0 && n < TEN_SECONDS);
        assertThat(l.commitLatencies).isNotEmpty().allMatch(n -> n > 0 && n < TEN_SECONDS);
        assertThat(l.writeEntries.sum()).as("the leader wrote every command").isGreaterThanOrEqualTo(300);
        assertThat(l.writeBytes.sum()).isGreaterThanOrEqualTo(300 * 24L + 300 * 2L);
        assertThat(l.writeNanos).isNotEmpty().allMatch(n -> n >= 0 && n < TEN_SECONDS);
        assertThat(l.sent(MessageType.APPEND_ENTRIES)).isPositive();
        assertThat(l.sentBytes(MessageType.APPEND_ENTRIES)).isGreaterThanOrEqualTo(300 * 24L);
        assertThat(l.received(MessageType.APPEND_ENTRIES_RESPONSE)).isPositive();
        assertThat(l.snapshotsTaken.get()).isPositive();
        assertThat(l.snapshotBytes.get()).isPositive();
        assertThat(l.sent(MessageType.INSTALL_SNAPSHOT)).isPositive();

        Recorder b = recorders.get(behind);
        assertThat(b.received(MessageType.APPEND_ENTRIES)).isPositive();
        assertThat(b.received(MessageType.INSTALL_SNAPSHOT)).isPositive();
        assertThat(b.snapshotBytesReceived.get()).isPositive()
                .isLessThanOrEqualTo(l.sentBytes(MessageType.INSTALL_SNAPSHOT));
        assertThat(b.installs.get()).isPositive();
        assertThat(b.installBytes.get()).isPositive();
    }

    @Test
    void metricsThatThrowDoNotHurtTheNode() throws Exception {
        RaftMetrics broken = new Recorder() {
            @Override
            public void storageWrite(long nanos, int entries, long bytes) {
                throw new IllegalStateException("broken metrics");
            }

            @Override
            public void messageSent(MessageType type, long payloadBytes) {
                throw new IllegalStateException("broken metrics");
            }

            @Override
            public void commitLatency(long nanos) {
                throw new IllegalStateException("broken metrics");
            }
        };
        for (Member m : MEMBERS) {
            start(m.id(), m.id().value().equals("n1") ? (Recorder) broken : new Recorder());
        }
        Await.until("a leader", WAIT, () -> nodes.values().stream().anyMatch(n -> n.status().isLeader()));
        RaftNode leader = nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
        writeAll(leader, 20);
        Await.until("all to apply", WAIT, () -> machines.values().stream().allMatch(m -> m.size() == 20));
    }

    @Test
    void latenciesAreSampledOncePerBatchForThisLeadersOwnProposals() {
        Recorder r = new Recorder();
        RuntimeMetrics m = new RuntimeMetrics(r, 8);
        m.proposed(5, 2);
        m.proposed(6, 2);
        m.readyTaken();
        m.durable(ready(2, 5, 6));
        m.committed(List.of(entry(2, 5), entry(2, 6)));
        assertThat(r.appendLatencies).hasSize(1);
        assertThat(r.commitLatencies).hasSize(1);

        m.committed(List.of(entry(3, 7)));                     // another leader's entry
        m.proposed(13, 2);                                     // overwrites index 5's slot (ring of 8)
        m.committed(List.of(entry(2, 5)));
        m.proposed(7, 4);                                      // a new term resets the ring
        m.committed(List.of(entry(2, 13)));
        assertThat(r.commitLatencies).hasSize(1);
        m.committed(List.of(entry(4, 7)));
        assertThat(r.commitLatencies).hasSize(2);

        m.observe(RaftRole.PRE_CANDIDATE, 4, Optional.empty());
        m.observe(RaftRole.CANDIDATE, 5, Optional.empty());
        m.observe(RaftRole.CANDIDATE, 5, Optional.empty());
        m.observe(RaftRole.LEADER, 5, Optional.of(NodeId.of("n1")));
        m.observe(RaftRole.LEADER, 5, Optional.of(NodeId.of("n1")));
        assertThat(r.electionsStarted.get()).isEqualTo(1);
        assertThat(r.electionsWon.get()).isEqualTo(1);
        assertThat(r.leaders).containsExactly(NodeId.of("n1"));
        assertThat(RuntimeMetrics.NONE.enabled()).isFalse();
        assertThat(MeteredTransport.wrap(hub.transport(), RuntimeMetrics.NONE)).isNotInstanceOf(MeteredTransport.class);
    }

    private static LogEntry entry(long term, long index) {
        return LogEntry.command(term, index, Bytes.wrap(new byte[] {1}));
    }

    private static Ready ready(long term, long from, long to) {
        List<LogEntry> entries = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            entries.add(entry(term, i));
        }
        return new Ready(Optional.empty(), OptionalLong.empty(), entries, List.of(), List.of(), List.of());
    }

    private void start(NodeId id, Recorder recorder) throws IOException {
        SnapshotStateMachine machine = new SnapshotStateMachine();
        machines.put(id, machine);
        recorders.put(id, recorder);
        RaftNode node = RaftNode.builder().id(id).members(MEMBERS).stateMachine(machine)
                .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                .transport(hub.transport()).randomSeed(id.hashCode()).options(OPTIONS).metrics(recorder).build();
        nodes.put(id, node);
        node.start();
    }

    private static void writeAll(RaftNode leader, int n) throws Exception {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(leader.submit(("c" + i).getBytes(StandardCharsets.UTF_8)));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
    }

    /** Records every callback, thread-safely. */
    static class Recorder implements RaftMetrics {
        final ConcurrentLinkedQueue<Long> appendLatencies = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> commitLatencies = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> writeNanos = new ConcurrentLinkedQueue<>();
        final LongAdder writeEntries = new LongAdder();
        final LongAdder writeBytes = new LongAdder();
        final Map<MessageType, LongAdder[]> messages = new EnumMap<>(MessageType.class);
        final AtomicLong electionsStarted = new AtomicLong();
        final AtomicLong electionsWon = new AtomicLong();
        final ConcurrentLinkedQueue<NodeId> leaders = new ConcurrentLinkedQueue<>();
        final AtomicLong snapshotsTaken = new AtomicLong();
        final AtomicLong snapshotBytes = new AtomicLong();
        final AtomicLong snapshotBytesReceived = new AtomicLong();
        final AtomicLong installs = new AtomicLong();
        final AtomicLong installBytes = new AtomicLong();

        Recorder() {
            for (MessageType t : MessageType.values()) {
                messages.put(t, new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()});
            }
        }

        long sent(MessageType t) {
            return messages.get(t)[0].sum();
        }

        long sentBytes(MessageType t) {
            return messages.get(t)[1].sum();
        }

        long received(MessageType t) {
            return messages.get(t)[2].sum();
        }

        @Override
        public void appendLatency(long nanos) {
            appendLatencies.add(nanos);
        }

        @Override
        public void commitLatency(long nanos) {
            commitLatencies.add(nanos);
        }

        @Override
        public void storageWrite(long nanos, int entries, long bytes) {
            writeNanos.add(nanos);
            writeEntries.add(entries);
            writeBytes.add(bytes);
        }

        @Override
        public void messageSent(MessageType type, long payloadBytes) {
            messages.get(type)[0].increment();
            messages.get(type)[1].add(payloadBytes);
        }

        @Override
        public void messageReceived(MessageType type, long payloadBytes) {
            messages.get(type)[2].increment();
            messages.get(type)[3].add(payloadBytes);
        }

        @Override
        public void electionStarted(long term) {
            electionsStarted.incrementAndGet();
        }

        @Override
        public void electionWon(long term) {
            electionsWon.incrementAndGet();
        }

        @Override
        public void leaderChanged(NodeId leader, long term) {
            leaders.add(leader);
        }

        @Override
        public void snapshotTaken(long nanos, long bytes) {
            snapshotsTaken.incrementAndGet();
            snapshotBytes.addAndGet(bytes);
        }

        @Override
        public void snapshotBytesReceived(long bytes) {
            snapshotBytesReceived.addAndGet(bytes);
        }

        @Override
        public void snapshotInstalled(long bytes) {
            installs.incrementAndGet();
            installBytes.addAndGet(bytes);
        }
    }
}
