package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.raftlib.RaftNode;

/**
 * raftlib on the project's reference workload ({@code WORKLOAD.md}): a 3-node cluster in this JVM over
 * {@code NettyTransport} on 127.0.0.1 and {@code FileLogStorage} with its default durability, 128-byte payloads,
 * the phases warm-up (64 in flight, 5,000 writes), W1 (1 in flight, 5,000 writes), W2 (64 in flight) and W3 (256 in
 * flight) each for 10 s or 5,000,000 writes, then the correctness check. Prints the same table as the peer bench.
 *
 * <p>Usage: {@code WriteBenchmark [--nodes=3] [--payload=128] [--warmup=5000] [--w1-writes=5000]
 * [--w2-inflight=64] [--w3-inflight=256] [--max-writes=5000000] [--seconds=10] [--processes] [--port=N]
 * [--dir=PATH] [--keep] [--smoke]}. {@code --processes} runs every node but the first in its own JVM;
 * {@code --smoke} runs a few hundred writes per phase for the correctness check only. Exit status 0 on PASS. For
 * experiments, {@code -Dbench.inflightAppends=N} overrides {@link org.raftlib.RaftOptions#maxInflightAppends()};
 * {@code -Dbench.metrics=true} has every node measure with {@code raft-metrics-micrometer}.
 */
public final class WriteBenchmark {

    private WriteBenchmark() {
    }

    /** Parsed command line. */
    record Options(int nodes, int payload, int warmup, int w1Writes, int w2InFlight, int w3InFlight, int maxWrites,
            int seconds, boolean processes, int port, Path parent, boolean keep) {

        static Options parse(String... args) {
            int[] v = {3, 128, 5_000, 5_000, 64, 256, 5_000_000, 10, 0};
            boolean processes = false;
            boolean keep = false;
            Path parent = Path.of(System.getProperty("java.io.tmpdir"));
            List<String> names = List.of("--nodes=", "--payload=", "--warmup=", "--w1-writes=", "--w2-inflight=",
                    "--w3-inflight=", "--max-writes=", "--seconds=", "--port=");
            for (String a : args) {
                int i = names.indexOf(a.contains("=") ? a.substring(0, a.indexOf('=') + 1) : a);
                if (i >= 0) {
                    v[i] = Integer.parseInt(a.substring(a.indexOf('=') + 1));
                } else if (a.equals("--processes")) {
                    processes = true;
                } else if (a.equals("--keep")) {
                    keep = true;
                } else if (a.startsWith("--dir=")) {
                    parent = Path.of(a.substring(6));
                } else if (a.equals("--smoke")) {
                    v[2] = 200;
                    v[3] = 100;
                    v[6] = 300;
                    v[7] = 10;
                } else {
                    throw new IllegalArgumentException("unknown option " + a + "; see the class Javadoc");
                }
            }
            return new Options(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], processes, v[8], parent, keep);
        }
    }

    /**
     * Runs the workload and prints the results.
     *
     * @param args options, see the class Javadoc
     * @throws Exception if the cluster cannot be run
     */
    public static void main(String[] args) throws Exception {
        boolean pass = run(Options.parse(args));
        System.exit(pass ? 0 : 1);
    }

    /**
     * Runs the workload.
     *
     * @param o the options
     * @return whether the correctness check passed
     * @throws Exception if the cluster cannot be run
     */
    static boolean run(Options o) throws Exception {
        printEnvironment();
        Path dir = Files.createTempDirectory(o.parent(), "raftlib-bench-");
        var members = BenchCluster.members(o.nodes(), o.port());
        BenchCluster cluster = o.processes() ? new ProcessCluster(members, dir) : new InProcessCluster(members, dir);
        System.out.printf("raftlib   : %d nodes%s, NettyTransport on 127.0.0.1, FileLogStorage (fsync per batch), "
                + "%d-byte payloads%s%ndata dir  : %s (%s)%n", o.nodes(), o.processes() ? " (one JVM each)" : "",
                o.payload(), BenchCluster.METRICS ? ", metrics on (Micrometer, Prometheus registry)" : "", dir,
                Files.getFileStore(dir).type());
        List<LoadPhase.Result> results = new ArrayList<>();
        boolean pass;
        try {
            long t0 = System.nanoTime();
            cluster.start();
            RaftNode leader = cluster.awaitLocalLeader(Duration.ofSeconds(60));
            System.out.printf("leader    : %s after %.0f ms%n", leader.id(), (System.nanoTime() - t0) / 1e6);
            long forever = Duration.ofMinutes(5).toNanos();
            long cap = Duration.ofSeconds(o.seconds()).toNanos();
            results.add(phase(cluster, leader, "warm-up (64 in flight)", 64, o.warmup(), forever, o));
            results.add(phase(cluster, leader, "W1 1 in flight", 1, o.w1Writes(), forever, o));
            results.add(phase(cluster, leader, "W2 " + o.w2InFlight() + " in flight", o.w2InFlight(), o.maxWrites(),
                    cap, o));
            results.add(phase(cluster, leader, "W3 " + o.w3InFlight() + " in flight", o.w3InFlight(), o.maxWrites(),
                    cap, o));
            pass = check(cluster, results);
        } finally {
            cluster.close();
            if (!o.keep()) {
                deleteTree(dir);
            }
        }
        printTable(results);
        System.out.println("RESULT raftlib " + (pass ? "PASS" : "FAIL") + " " + LocalDateTime.now());
        return pass;
    }

    private static LoadPhase.Result phase(BenchCluster cluster, RaftNode leader, String label, int inFlight,
            int writes, long nanos, Options o) throws InterruptedException {
        long[] before = cluster.counters();
        LoadPhase.Result r = LoadPhase.run(label, leader::submit, inFlight, writes, nanos, o.payload(),
                cluster::cpuNanos);
        long[] after = cluster.counters();
        double perOp = Math.max(1, r.ok());
        System.out.printf("%-24s fsyncs/write=%.3f messages/write=%.3f (all nodes)%n", "", (after[0] - before[0])
                / perOp, (after[1] - before[1]) / perOp);
        System.out.printf("%-24s ok=%d err=%d in %.2fs -> %.0f ops/s  p50=%.3f ms p99=%.3f ms max=%.3f ms "
                + "mean=%.3f ms  cpu=%.1fs (%.0f us/op) gc=%d ms%s%s%n", r.label(), r.ok(), r.errors(), r.seconds(),
                r.opsPerSec(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.meanMs(), r.cpuSeconds(), r.cpuMicrosPerOp(),
                r.gcMillis(), r.drained() ? "" : " NOT-DRAINED",
                r.firstError() == null ? "" : " firstError=" + r.firstError());
        return r;
    }

    /**
     * The workload's check: every node applied the same count and hash, and acked {@literal <=} count
     * {@literal <=} submitted.
     */
    private static boolean check(BenchCluster cluster, List<LoadPhase.Result> results) throws Exception {
        long acked = results.stream().mapToLong(LoadPhase.Result::ok).sum();
        long submitted = results.stream().mapToLong(LoadPhase.Result::submitted).sum();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long[][] applied = cluster.applied();
        while (!(same(applied[0]) && same(applied[1]) && applied[0][0] >= acked)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            applied = cluster.applied();
        }
        boolean pass = same(applied[0]) && same(applied[1]) && applied[0][0] >= acked && applied[0][0] <= submitted;
        System.out.printf("%ncorrectness: acked=%d submitted=%d applied per node=%s hashes=%s -> %s%n", acked,
                submitted, Arrays.toString(applied[0]), Arrays.stream(applied[1]).mapToObj(Long::toHexString)
                        .collect(Collectors.toList()), pass ? "PASS" : "FAIL");
        return pass;
    }

    private static boolean same(long[] values) {
        return Arrays.stream(values).allMatch(x -> x == values[0]);
    }

    private static void printEnvironment() {
        Runtime rt = Runtime.getRuntime();
        System.out.println("java      : " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + "; availableProcessors=" + rt.availableProcessors()
                + "; maxHeap=" + (rt.maxMemory() >> 20) + " MiB; GC=" + ManagementFactory.getGarbageCollectorMXBeans()
                .stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(","))
                + "; args=" + ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    private static void printTable(List<LoadPhase.Result> results) {
        System.out.println();
        System.out.println("| peer | workload | in flight | ok writes | errors | seconds | ops/s | p50 ms | p99 ms "
                + "| max ms | mean ms | CPU us/op | GC ms |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (LoadPhase.Result r : results) {
            System.out.printf("| raftlib | %s | %d | %d | %d | %.2f | %.0f | %.3f | %.3f | %.3f | %.3f | %.0f | %d |%n",
                    r.label(), r.inFlight(), r.ok(), r.errors(), r.seconds(), r.opsPerSec(), r.p50Ms(), r.p99Ms(),
                    r.maxMs(), r.meanMs(), r.cpuMicrosPerOp(), r.gcMillis());
        }
    }

    /** Deletes {@code root} and everything under it. */
    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
