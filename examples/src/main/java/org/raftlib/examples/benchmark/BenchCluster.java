package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.RaftOptions;
import org.raftlib.metrics.micrometer.MicrometerRaftMetrics;
import org.raftlib.metrics.micrometer.RaftMeterBinder;
import org.raftlib.metrics.micrometer.TransportMeters;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;
import org.raftlib.transport.netty.NettyTransport;

/**
 * The benchmark's cluster: every node with {@link NettyTransport} on 127.0.0.1 and {@link FileLogStorage} (default
 * durability: one fsync per batch) under its own directory, and a {@link CountingStateMachine}.
 */
interface BenchCluster extends AutoCloseable {

    /** Starts every node. */
    void start() throws IOException;

    /** Waits until the node in this JVM leads and returns it. */
    RaftNode awaitLocalLeader(Duration timeout) throws InterruptedException;

    /** Starts every node, waits up to 60 s for the local leader and prints how long that took. */
    default RaftNode startAndAwaitLeader() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        start();
        RaftNode leader = awaitLocalLeader(Duration.ofSeconds(60));
        System.out.printf("leader    : %s after %.0f ms%n", leader.id(), (System.nanoTime() - t0) / 1e6);
        return leader;
    }

    /** Returns each node's applied count and hash, as {@code long[][] {counts, hashes}}. */
    long[][] applied() throws IOException;

    /** Returns the CPU time used so far by every process of the cluster, this one included. */
    long cpuNanos();

    /** Returns {syncs, messages sent} so far over the nodes this JVM can see. */
    long[] counters();

    @Override
    void close() throws IOException;

    /** Builds one node; every node of a run gets the same options. */
    static RaftNode node(String id, List<Member> members, Path dir, CountingStateMachine sm) throws IOException {
        return node(id, members, dir, sm, new SyncCountingStorage(FileLogStorage.open(dir.resolve(id))),
                NettyTransport.builder().clusterId("bench").build());
    }

    /** Builds one node on the given storage and transport. */
    static RaftNode node(String id, List<Member> members, Path dir, CountingStateMachine sm,
            SyncCountingStorage storage, NettyTransport transport) {
        RaftNodeBuilder b = RaftNode.builder()
                .id(id)
                .members(members)
                .stateMachine(sm)
                .logStorage(storage)
                .transport(transport)
                .options(options());
        if (SNAPSHOT_EVERY > 0) {
            try {
                b.snapshotStore(FileSnapshotStore.open(dir.resolve(id + "-snapshots")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!METRICS) {
            return b.build();
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RaftNode node = b.metrics(MicrometerRaftMetrics.register(registry, NodeId.of(id))).build();
        RaftMeterBinder.bind(node, registry);
        TransportMeters.bind(registry, node.id(), Tags.empty(), () -> Map.of(
                "messages.out", transport.metrics().messagesOut(), "bytes.out", transport.metrics().bytesOut()));
        return node;
    }

    /**
     * Whether every node measures with {@code raft-metrics-micrometer} into a Prometheus registry, from
     * {@code -Dbench.metrics=true} (issue 16 asks that metrics cost no throughput beyond noise).
     */
    boolean METRICS = Boolean.getBoolean("bench.metrics");

    /**
     * Entries between automatic snapshots, from {@code -Dbench.snapshotEvery=N}; 0 (the default, as WORKLOAD.md
     * asks) runs without a snapshot store.
     */
    long SNAPSHOT_EVERY = Long.getLong("bench.snapshotEvery", 0);

    /** The options of every benchmark node: defaults, except room for the in-flight writes of every phase. */
    static RaftOptions options() {
        RaftOptions o = RaftOptions.defaults().withMaxPendingRequests(100_000);
        int inflightAppends = Integer.getInteger("bench.inflightAppends", o.maxInflightAppends());
        o = o.withReplicationFlow(inflightAppends, o.maxAppendBytes());
        return SNAPSHOT_EVERY > 0 ? o.withSnapshotPolicy(SNAPSHOT_EVERY, Long.MAX_VALUE,
                RaftOptions.DEFAULT_SNAPSHOT_KEEP_ENTRIES) : o;
    }

    /** Returns {@code n} members on free loopback ports, or on {@code basePort..basePort+n-1} if it is positive. */
    static List<Member> members(int n, int basePort) throws IOException {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            int port = basePort > 0 ? basePort + i - 1 : freePort();
            members.add(Member.of("n" + i, "127.0.0.1:" + port));
        }
        return members;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Renders members as {@code id=host:port,...} for a child process. */
    static String render(List<Member> members) {
        List<String> parts = new ArrayList<>();
        members.forEach(m -> parts.add(m.id().value() + "=" + m.address()));
        return String.join(",", parts);
    }

    /** Parses {@link #render}'s output. */
    static List<Member> parse(String spec) {
        List<Member> members = new ArrayList<>();
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            members.add(Member.of(kv[0], kv[1]));
        }
        return members;
    }
}
