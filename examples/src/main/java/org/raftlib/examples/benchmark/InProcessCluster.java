package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.transport.netty.NettyTransport;

/** All nodes in this JVM, as the workload prescribes. The local leader is whichever node wins. */
final class InProcessCluster implements BenchCluster {

    private final List<Member> members;
    private final Path dir;
    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<CountingStateMachine> machines = new ArrayList<>();
    private final List<SyncCountingStorage> storages = new ArrayList<>();
    private final List<NettyTransport> transports = new ArrayList<>();

    InProcessCluster(List<Member> members, Path dir) {
        this.members = members;
        this.dir = dir;
    }

    @Override
    public void start() throws IOException {
        for (Member m : members) {
            CountingStateMachine sm = new CountingStateMachine();
            SyncCountingStorage storage = new SyncCountingStorage(FileLogStorage.open(dir.resolve(m.id().value())));
            NettyTransport transport = NettyTransport.builder().clusterId("bench").build();
            RaftNode node = BenchCluster.node(m.id().value(), members, dir, sm, storage, transport);
            storages.add(storage);
            transports.add(transport);
            nodes.add(node);
            machines.add(sm);
        }
        for (RaftNode n : nodes) {
            n.start();
        }
    }

    @Override
    public RaftNode awaitLocalLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes) {
                if (n.status().isLeader()) {
                    return n;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no leader within " + timeout);
    }

    @Override
    public long[][] applied() {
        long[][] out = new long[2][machines.size()];
        for (int i = 0; i < machines.size(); i++) {
            out[0][i] = machines.get(i).count();
            out[1][i] = machines.get(i).hash();
        }
        return out;
    }

    @Override
    public long[] counters() {
        long syncs = storages.stream().mapToLong(SyncCountingStorage::syncs).sum();
        long messages = transports.stream().mapToLong(t -> t.metrics().messagesOut()).sum();
        return new long[] {syncs, messages};
    }

    @Override
    public long cpuNanos() {
        return LoadPhase.processCpuNanos();
    }

    @Override
    public void close() {
        nodes.forEach(RaftNode::close);
    }

    /** Returns the nodes, in the order of the members; empty before {@link #start()}. */
    List<RaftNode> nodes() {
        return List.copyOf(nodes);
    }

    NodeId id(int i) {
        return members.get(i).id();
    }
}
