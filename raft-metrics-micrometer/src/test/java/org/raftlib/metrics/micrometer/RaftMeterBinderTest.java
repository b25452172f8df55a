package org.raftlib.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * The Micrometer binding on a three-node in-process cluster: gauges follow the cluster (term, indexes, role, peers
 * with their lag), the SPI's timers and counters record, and transport counters read their supplier.
 */
class RaftMeterBinderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(150)).withHeartbeatInterval(Duration.ofMillis(20))
            .withSnapshotPolicy(40, Long.MAX_VALUE, 10);

    private final LocalTransport.Hub hub = LocalTransport.hub(23);
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<RaftMeterBinder> binders = new ArrayList<>();

    @AfterEach
    void closeAll() {
        binders.forEach(RaftMeterBinder::close);
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void gaugesTrackTheClusterAndTheSpiRecords() throws Exception {
        for (Member m : MEMBERS) {
            RaftNode node = RaftNode.builder().id(m.id()).members(MEMBERS).stateMachine(new SnapshotStateMachine())
                    .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore())
                    .transport(hub.transport()).randomSeed(m.id().hashCode()).options(OPTIONS)
                    .metrics(MicrometerRaftMetrics.register(registry, m.id())).build();
            nodes.add(node);
            binders.add(RaftMeterBinder.bind(node, registry, Tags.of("cluster", "test"), Duration.ZERO));
            node.start();
        }
        Await.until("a leader", WAIT, () -> nodes.stream().anyMatch(n -> n.status().isLeader()));
        RaftNode leader = nodes.stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
        String l = leader.id().value();
        writeAll(leader, 100);
        binders.forEach(RaftMeterBinder::refresh);

        long last = leader.status().lastLogIndex();
        Await.until("every node to commit everything", WAIT, () -> MEMBERS.stream()
                .allMatch(m -> gauge("raft.commit.index", m.id().value()) == last));
        assertThat(gauge("raft.term", l)).isEqualTo(leader.status().term()).isPositive();
        assertThat(registry.get("raft.role").tags("node", l, "role", "leader").gauge().value()).isEqualTo(1);
        assertThat(registry.get("raft.role").tags("node", l, "role", "follower").gauge().value()).isZero();
        assertThat(registry.get("raft.state").tags("node", l, "state", "running").gauge().value()).isEqualTo(1);
        assertThat(gauge("raft.leader.known", l)).isEqualTo(1);
        assertThat(gauge("raft.voters", l)).isEqualTo(3);
        assertThat(gauge("raft.last.index", l)).isEqualTo(last);
        Await.until("a snapshot and compaction", WAIT, () -> gauge("raft.snapshot.index", l) > 0
                && gauge("raft.first.index", l) > 1);
        assertThat(registry.get("raft.term").tags("cluster", "test").gauges()).hasSize(3);

        List<String> followers = MEMBERS.stream().map(m -> m.id().value()).filter(id -> !id.equals(l)).toList();
        for (String f : followers) {
            Await.until(f + " matched", WAIT, () -> peerGauge("raft.peer.match.index", l, f) == last);
            assertThat(peerGauge("raft.peer.lag", l, f)).isZero();
            assertThat(peerGauge("raft.peer.reachable", l, f)).isEqualTo(1);
            assertThat(peerGauge("raft.peer.heard.age", l, f)).isLessThan(1);
        }
        assertThat(registry.find("raft.peer.lag").tag("node", followers.get(0)).gauges()).as("followers: no peers")
                .isEmpty();

        hub.isolate(NodeId.of(followers.get(0)));
        writeAll(leader, 10);
        assertThat(peerGauge("raft.peer.lag", l, followers.get(0))).as("cut off, it lags").isGreaterThanOrEqualTo(10);
        Await.until("the leader to find " + followers.get(0) + " silent (a probe: a dead follower looked healthy)",
                WAIT, () -> peerGauge("raft.peer.reachable", l, followers.get(0)) == 0);
        assertThat(peerGauge("raft.peer.heard.age", l, followers.get(0))).isGreaterThan(0.1);
        assertThat(peerGauge("raft.peer.reachable", l, followers.get(1))).isEqualTo(1);
        hub.heal();
        Await.until(followers.get(0) + " heard again", WAIT,
                () -> peerGauge("raft.peer.reachable", l, followers.get(0)) == 1);
        assertSpiMeters(l, followers.get(1));
    }

    /** The SPI's meters on the leader {@code l} and the follower {@code f}, after 110 writes and a snapshot. */
    private void assertSpiMeters(String l, String f) {
        assertThat(registry.get("raft.append.latency").tag("node", l).timer().count()).isPositive();
        assertThat(registry.get("raft.commit.latency").tag("node", l).timer().count()).isPositive();
        assertThat(registry.get("raft.commit.latency").tag("node", l).timer().max(TimeUnit.NANOSECONDS))
                .isPositive();
        assertThat(registry.get("raft.storage.write.latency").tag("node", l).timer().count()).isPositive();
        assertThat(registry.get("raft.storage.write.entries").tag("node", l).summary().totalAmount())
                .isGreaterThanOrEqualTo(110);
        assertThat(registry.get("raft.elections.won").tag("node", l).counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(registry.get("raft.elections.started").tag("node", l).counter().count())
                .isGreaterThanOrEqualTo(1);
        for (Member m : MEMBERS) {
            assertThat(registry.get("raft.leader.changes").tag("node", m.id().value()).counter().count())
                    .isGreaterThanOrEqualTo(1);
        }
        assertThat(registry.get("raft.messages.sent").tags("node", l, "type", "append_entries").counter().count())
                .isPositive();
        assertThat(registry.get("raft.messages.sent.bytes").tags("node", l, "type", "append_entries").counter()
                .count()).isGreaterThanOrEqualTo(110 * 24);
        assertThat(registry.get("raft.messages.received").tags("node", f, "type", "append_entries")
                .counter().count()).isPositive();
        assertThat(registry.get("raft.snapshot.take").tag("node", l).timer().count()).isPositive();
        assertThat(registry.get("raft.snapshot.size").tag("node", l).summary().max()).isPositive();
        assertThat(registry.get("raft.snapshot.installs").tags("node", l, "result", "done").counter().count())
                .isZero();
    }

    @Test
    void closeRemovesTheGauges() {
        RaftNode node = RaftNode.builder().id("n1").members(MEMBERS.get(0)).stateMachine(new SnapshotStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).build();
        nodes.add(node);
        RaftMeterBinder b = RaftMeterBinder.bind(node, registry);
        assertThat(registry.get("raft.state").tags("node", "n1", "state", "created").gauge().value()).isEqualTo(1);
        b.close();
        b.close();
        assertThat(registry.find("raft.term").gauges()).isEmpty();
        assertThatThrownBy(() -> RaftMeterBinder.bind(node, registry, Tags.empty(), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void transportCountersReadTheirSupplier() {
        AtomicLong dropped = new AtomicLong(3);
        TransportMeters t = TransportMeters.bind(registry, NodeId.of("n1"), Tags.empty(), () -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("dropped", dropped.get());
            m.put("connection.failures", 1L);
            return m;
        });
        System.gc();                                           // the binding holds its source strongly
        assertThat(registry.get("raft.transport.dropped").tag("node", "n1").functionCounter().count()).isEqualTo(3);
        dropped.set(5);
        assertThat(registry.get("raft.transport.dropped").functionCounter().count()).isEqualTo(5);
        assertThat(registry.get("raft.transport.connection.failures").functionCounter().count()).isEqualTo(1);
        t.close();
        assertThat(registry.find("raft.transport.dropped").functionCounters()).isEmpty();
        assertThatThrownBy(() -> TransportMeters.bind(registry, NodeId.of("n1"), Tags.empty(),
                () -> Map.of("Bad Key", 1))).isInstanceOf(IllegalArgumentException.class);
    }

    private double gauge(String name, String node) {
        Gauge g = registry.get(name).tag("node", node).gauge();
        return g.value();
    }

    private double peerGauge(String name, String node, String peer) {
        binders.forEach(RaftMeterBinder::refresh);
        return registry.get(name).tags("node", node, "peer", peer).gauge().value();
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
}
