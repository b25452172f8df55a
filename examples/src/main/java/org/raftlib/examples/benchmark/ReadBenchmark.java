package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.ReadMode;

/**
 * raftlib's read workload (issue 15), on the write workload's cluster and conventions ({@code WORKLOAD.md}): three
 * nodes and the load generator in this JVM, {@code NettyTransport} on 127.0.0.1, {@code FileLogStorage} with its
 * default durability, the benchmark's {@link BenchCluster#options() options}. First a data set is written (10,000
 * writes of 128 random bytes, 64 in flight) and the nodes are checked to hold the same state; then, for each target
 * (LINEARIZABLE on the leader, LINEARIZABLE on the followers round-robin, LEASE on the leader, STALE on the leader),
 * a warm-up of 10,000 reads at 64 in flight and one phase per in-flight count (64, 256) of 10 s or 30,000,000
 * reads. A read is {@link RaftNode#query} with a fresh 8-byte random request, which {@link CountingStateMachine}
 * answers with its applied count; latency runs from just before the call to the completion of its future. A
 * successful read whose answer is not 8 bytes holding at least the acknowledged writes of the data set counts as an
 * error and fails the run; a failed read (a follower refusing a linearizable read, say) is an error of its phase.
 *
 * <p>Usage: {@code ReadBenchmark [--dataset=10000] [--payload=128] [--request=8] [--warmup=10000]
 * [--inflight=64,256] [--seconds=10] [--max-reads=30000000]
 * [--modes=linearizable,follower-linearizable,lease,stale] [--port=N] [--dir=PATH] [--keep] [--smoke]}.
 * {@code --smoke} runs a few thousand reads per phase. Exit status 0 when the data set's check passed and every
 * answer was valid.
 */
public final class ReadBenchmark {

    private ReadBenchmark() {
    }

    /** Where a phase's queries go and in which mode; named on the command line as {@code follower-linearizable}. */
    enum Target {
        LINEARIZABLE(ReadMode.LINEARIZABLE, false),
        FOLLOWER_LINEARIZABLE(ReadMode.LINEARIZABLE, true),
        LEASE(ReadMode.LEASE, false),
        STALE(ReadMode.STALE, false);

        private final ReadMode mode;
        private final boolean followers;

        Target(ReadMode mode, boolean followers) {
            this.mode = mode;
            this.followers = followers;
        }

        String label() {
            return mode + (followers ? " on followers" : " on leader");
        }

        static Target named(String option) {
            return Arrays.stream(values()).filter(t -> t.name().replace('_', '-').equalsIgnoreCase(option))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown mode " + option
                            + "; see the Javadoc"));
        }
    }

    /** Parsed command line. */
    record Options(int dataset, int payload, int request, int warmup, List<Integer> inFlight, int seconds,
            int maxReads, List<Target> targets, int port, Path parent, boolean keep) {

        static Options parse(String... args) {
            BenchArgs a = BenchArgs.parse(args, List.of("dataset", "payload", "request", "warmup", "inflight",
                    "seconds", "max-reads", "modes", "port", "dir"), List.of("keep", "smoke"));
            boolean smoke = a.flag("smoke");
            List<Target> targets = Arrays.stream(a.string("modes", "linearizable,follower-linearizable,lease,stale")
                    .split(",")).map(String::trim).map(Target::named).toList();
            return new Options(a.integer("dataset", smoke ? 300 : 10_000), a.integer("payload", 128),
                    a.integer("request", 8), a.integer("warmup", smoke ? 200 : 10_000),
                    a.integers("inflight", List.of(64, 256)),
                    a.integer("seconds", 10), a.integer("max-reads", smoke ? 2_000 : 30_000_000), targets,
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
     * @return whether the data set's check passed and every read's answer was valid
     * @throws Exception if the cluster cannot be run
     */
    static boolean run(Options o) throws Exception {
        WriteBenchmark.printEnvironment();
        Path dir = Files.createTempDirectory(o.parent(), "raftlib-read-bench-");
        InProcessCluster cluster = new InProcessCluster(BenchCluster.members(3, o.port()), dir);
        printConfiguration(o, dir);
        List<LoadPhase.Result> results = new ArrayList<>();
        AtomicLong invalid = new AtomicLong();
        boolean pass;
        try {
            RaftNode leader = cluster.startAndAwaitLeader();
            LoadPhase.Result load = LoadPhase.runAndPrint(cluster, new LoadPhase.Spec("data set (64 in flight)", 64,
                    o.dataset(), Duration.ofMinutes(5).toNanos(), o.payload()), leader::submit, x -> true, "write");
            pass = WriteBenchmark.check(cluster, List.of(load));
            Predicate<byte[]> valid = answer -> {
                boolean ok = answer.length == Long.BYTES && ByteBuffer.wrap(answer).getLong() >= load.ok();
                if (!ok) {
                    invalid.incrementAndGet();
                }
                return ok;
            };
            for (Target t : o.targets()) {
                results.addAll(phases(cluster, leader, t, valid, o));
            }
            System.out.printf("%nleader at end: %s (was %s); invalid answers: %d%n", cluster.nodes().stream()
                    .filter(n -> n.status().isLeader()).map(n -> n.id().value()).toList(), leader.id(), invalid.get());
            pass &= invalid.get() == 0;
        } finally {
            cluster.close();
            if (!o.keep()) {
                WriteBenchmark.deleteTree(dir);
            }
        }
        WriteBenchmark.printTable("mode", "reads", results);
        System.out.println("RESULT raftlib-read " + (pass ? "PASS" : "FAIL") + " " + LocalDateTime.now());
        return pass;
    }

    private static void printConfiguration(Options o, Path dir) throws IOException {
        RaftOptions ro = BenchCluster.options();
        System.out.printf("raftlib   : 3 nodes, NettyTransport on 127.0.0.1, FileLogStorage (fsync per batch); data "
                + "set %d writes of %d random bytes%ndata dir  : %s (%s)%n", o.dataset(), o.payload(), dir,
                Files.getFileStore(dir).type());
        System.out.printf("reads     : RaftNode.query(%d random bytes, mode), answered by the state machine's applied"
                + " count (8 bytes); STALE and LEASE on the leader only; LINEARIZABLE on followers round-robin over"
                + " the two followers%n", o.request());
        System.out.printf("lease     : checkQuorum=%s (LEASE needs it) electionTimeout=%s heartbeatInterval=%s "
                + "maxClockDrift=%s (library defaults)%noptions   : %s%n", ro.checkQuorum(), ro.electionTimeout(),
                ro.heartbeatInterval(), ro.maxClockDrift(), ro);
        if (!ro.checkQuorum()) {
            System.out.println("WARNING   : CheckQuorum is off: every LEASE read falls back to a heartbeat round");
        }
    }

    /** One target's phases: a warm-up at 64 in flight, then one phase per in-flight count. */
    private static List<LoadPhase.Result> phases(InProcessCluster cluster, RaftNode leader, Target t,
            Predicate<byte[]> valid, Options o) throws InterruptedException {
        List<RaftNode> followers = cluster.nodes().stream().filter(n -> n != leader).toList();
        Function<byte[], CompletableFuture<byte[]>> read = t.followers ? roundRobin(followers, t.mode)
                : request -> leader.query(request, t.mode);
        List<LoadPhase.Result> out = new ArrayList<>();
        out.add(LoadPhase.runAndPrint(cluster, new LoadPhase.Spec("warm-up " + t.label(), 64, o.warmup(),
                Duration.ofMinutes(5).toNanos(), o.request()), read, valid, "read"));
        for (int inFlight : o.inFlight()) {
            out.add(LoadPhase.runAndPrint(cluster, new LoadPhase.Spec(t.label(), inFlight, o.maxReads(),
                    Duration.ofSeconds(o.seconds()).toNanos(), o.request()), read, valid, "read"));
        }
        return out;
    }

    /** Spreads the reads over {@code nodes} in turn; called only from the submitting thread. */
    private static Function<byte[], CompletableFuture<byte[]>> roundRobin(List<RaftNode> nodes, ReadMode mode) {
        int[] next = {0};
        return request -> {
            RaftNode node = nodes.get(next[0]);
            next[0] = (next[0] + 1) % nodes.size();
            return node.query(request, mode);
        };
    }
}
