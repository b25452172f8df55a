package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.SnapshotMeta;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;
import org.raftlib.transport.netty.NettyTransport;

/**
 * How fast a follower catches up by InstallSnapshot, against the disk's own sequential write speed measured by the
 * same program in the same run: three nodes (Netty on 127.0.0.1, {@code FileLogStorage}, {@code FileSnapshotStore}),
 * one of them down while the leader snapshots a state of {@code --mib} MiB ({@link BlobStateMachine}, generated and
 * checked while streaming) and compacts its log; then the follower starts and the time until it has installed and
 * restored the snapshot is measured. Run it with a small heap ({@code -Xmx256m} for 1 GiB) to see that no side holds
 * a snapshot in memory. Prints MB/s for both and their ratio, and the CPU time the whole process spent during the
 * catch-up; exit status 0 if the restored state checks out.
 *
 * <p>The disk is probed (write + fsync of the same size, in the same directory) once before and once after the
 * install, and the mean of the two is the reference: on the shared virtual disks we measure on, one probe can read
 * twice another a minute apart, and a probe right after a large write tends to read low, so neither alone is fair.
 *
 * <p>Usage: {@code SnapshotInstallBenchmark [--mib=1024] [--dir=PATH]}; {@code -Dbench.chunkKib=K
 * -Dbench.window=W} replaces the default transfer options (1 MiB chunks, 4 in flight); {@code -Dbench.threads=true}
 * prints the CPU time of the busiest threads during the catch-up (Linux), and {@link SnapshotCopyBaseline} the same
 * bytes copied with no Raft, for comparison.
 */
public final class SnapshotInstallBenchmark {

    private SnapshotInstallBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --mib=N}, {@code --dir=PATH}
     * @throws Exception if the cluster fails
     */
    public static void main(String[] args) throws Exception {
        BenchArgs parsed = BenchArgs.parse(args, List.of("mib", "dir"), List.of());
        int mib = parsed.integer("mib", 1024);
        Path parent = parsed.directory("dir");
        Path dir = Files.createTempDirectory(parent, "raftlib-install-");
        boolean ok;
        try {
            ok = run(dir, (long) mib << 20);
        } finally {
            WriteBenchmark.deleteTree(dir);       // before exit: System.exit inside the try would skip this
        }
        System.exit(ok ? 0 : 1);
    }

    /** Runs one measurement in {@code dir}; returns whether the installed state checked out. */
    static boolean run(Path dir, long bytes) throws Exception {
        System.out.printf("java      : maxHeap=%d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        double diskBefore = diskWriteMbps(dir.resolve("disk-probe"), bytes);
        System.out.printf("disk      : sequential write + fsync of %d MiB: %.1f MB/s%n", bytes >> 20, diskBefore);
        List<Member> members = BenchCluster.members(3, 0);
        Map<NodeId, RaftNode> nodes = new TreeMap<>();
        Map<NodeId, BlobStateMachine> machines = new TreeMap<>();
        RaftOptions options = RaftOptions.defaults().withSnapshotPolicy(Long.MAX_VALUE, Long.MAX_VALUE, 0);
        Integer chunkKib = Integer.getInteger("bench.chunkKib");       // transfer options to compare with the defaults
        if (chunkKib != null) {
            options = options.withSnapshotTransfer(chunkKib << 10, Integer.getInteger("bench.window", 4));
        }
        try {
            for (Member m : members.subList(0, 2)) {
                start(m, members, dir, bytes, options, nodes, machines);
            }
            RaftNode leader = awaitLeader(nodes);
            for (int i = 0; i < 10; i++) {
                leader.submit(new byte[] {(byte) i}).get();
            }
            long snapStart = System.nanoTime();
            long index = leader.takeSnapshot().get();
            double snapSeconds = (System.nanoTime() - snapStart) / 1e9;
            System.out.printf("snapshot  : %d MiB at index %d written by the leader in %.2f s%n", bytes >> 20, index,
                    snapSeconds);
            Member late = members.get(2);
            long start = System.nanoTime();
            long cpuStart = LoadPhase.processCpuNanos();
            Map<String, Long> threadsBefore = ThreadCpu.read();
            start(late, members, dir, bytes, options, nodes, machines);
            RaftNode follower = nodes.get(late.id());
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (follower.status().appliedIndex() < index && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (LoadPhase.processCpuNanos() - cpuStart) / 1e9;
            Map<String, Long> threadsAfter = ThreadCpu.read();
            double mbps = bytes / 1e6 / seconds;
            double diskAfter = diskWriteMbps(dir.resolve("disk-probe"), bytes);
            double diskMbps = (diskBefore + diskAfter) / 2;
            System.out.printf("disk      : again after the install: %.1f MB/s; the mean, %.1f MB/s, is the reference%n",
                    diskAfter, diskMbps);
            boolean ok = machines.get(late.id()).restoredCrc() == machines.get(late.id()).expectedCrc();
            SnapshotMeta meta = follower.status().latestSnapshot().orElse(null);
            System.out.printf("install   : %d MiB caught up in %.2f s: %.1f MB/s = %.2f x the disk's write speed%n",
                    bytes >> 20, seconds, mbps, mbps / diskMbps);
            System.out.printf("cpu       : %.2f s of CPU (all threads) during the catch-up, %.2f s per GiB%n",
                    cpuSeconds, cpuSeconds / (bytes / (double) (1L << 30)));
            if (Boolean.getBoolean("bench.threads")) {
                ThreadCpu.print(threadsBefore, threadsAfter, 12);
            }
            System.out.printf("check     : follower snapshot %s, restored state %s%n", meta, ok ? "PASS" : "FAIL");
            return ok;
        } finally {
            nodes.values().forEach(RaftNode::close);
        }
    }

    private static void start(Member m, List<Member> members, Path dir, long bytes, RaftOptions options,
            Map<NodeId, RaftNode> nodes, Map<NodeId, BlobStateMachine> machines) throws IOException {
        Path data = dir.resolve(m.id().value());
        BlobStateMachine machine = new BlobStateMachine(bytes, 42);
        RaftNode node = RaftNode.builder().id(m.id()).members(members).stateMachine(machine)
                .logStorage(FileLogStorage.open(data)).snapshotStore(FileSnapshotStore.open(data.resolve("snapshots")))
                .transport(NettyTransport.builder().clusterId("install").build()).options(options).build();
        node.start();
        nodes.put(m.id(), node);
        machines.put(m.id(), machine);
    }

    private static RaftNode awaitLeader(Map<NodeId, RaftNode> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes.values()) {
                if (n.status().isLeader()) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no leader within 30 s");
    }

    /** Writes {@code bytes} in 1 MiB writes, then fsyncs: MB/s. */
    static double diskWriteMbps(Path file, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0; written < bytes; written += chunk.capacity()) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    ch.write(chunk);
                }
            }
            ch.force(true);
        }
        double mbps = bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
        Files.delete(file);
        return mbps;
    }
}
