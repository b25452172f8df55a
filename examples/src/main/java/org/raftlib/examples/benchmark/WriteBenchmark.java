package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
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
            BenchArgs a = BenchArgs.parse(args, List.of("nodes", "payload", "warmup", "w1-writes", "w2-inflight",
                    "w3-inflight", "max-writes", "seconds", "port", "dir"), List.of("processes", "keep", "smoke"));
            boolean smoke = a.flag("smoke");
            return new Options(a.integer("nodes", 3), a.integer("payload", 128),
                    a.integer("warmup", smoke ? 200 : 5_000), a.integer("w1-writes", smoke ? 100 : 5_000),
                    a.integer("w2-inflight", 64), a.integer("w3-inflight", 256),
                    a.integer("max-writes", smoke ? 300 : 5_000_000), a.integer("seconds", 10), a.flag("processes"),
                    a.integer("port", 0), a.directory("dir"), a.flag("keep"));
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
            RaftNode leader = cluster.startAndAwaitLeader();
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
        printTable("workload", "writes", results);
        System.out.println("RESULT raftlib " + (pass ? "PASS" : "FAIL") + " " + LocalDateTime.now());
        return pass;
    }

    private static LoadPhase.Result phase(BenchCluster cluster, RaftNode leader, String label, int inFlight,
            int writes, long nanos, Options o) throws InterruptedException {
        return LoadPhase.runAndPrint(cluster, new LoadPhase.Spec(label, inFlight, writes, nanos, o.payload()),
                leader::submit, answer -> true, "write");
    }

    /**
     * The workload's check: every node applied the same count and hash, and acked {@literal <=} count
     * {@literal <=} submitted.
     */
    static boolean check(BenchCluster cluster, List<LoadPhase.Result> results) throws Exception {
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

    static void printEnvironment() {
        Runtime rt = Runtime.getRuntime();
        System.out.println("java      : " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + "; availableProcessors=" + rt.availableProcessors()
                + "; maxHeap=" + (rt.maxMemory() >> 20) + " MiB; GC=" + ManagementFactory.getGarbageCollectorMXBeans()
                .stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(","))
                + "; args=" + ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.println("machine   : " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                + " " + System.getProperty("os.arch") + ", " + rt.availableProcessors() + " cores; date "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    /**
     * Prints the results as the peer bench's table.
     *
     * @param phaseColumn the heading of the phase column ("workload", "mode")
     * @param unit what one operation is called ("writes", "reads")
     * @param results the phases
     */
    static void printTable(String phaseColumn, String unit, List<LoadPhase.Result> results) {
        System.out.println();
        System.out.println("| peer | " + phaseColumn + " | in flight | ok " + unit + " | errors | seconds | ops/s "
                + "| p50 ms | p99 ms | max ms | mean ms | CPU us/op | GC ms |");
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
