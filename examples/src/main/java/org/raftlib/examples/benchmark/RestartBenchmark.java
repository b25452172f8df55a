package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.raftlib.Member;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.RaftOptions;
import org.raftlib.local.LocalTransport;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;

/**
 * How long a node takes to come back with everything applied, with and without snapshots: one node on
 * {@code FileLogStorage} (and, with {@code --snapshots}, a {@code FileSnapshotStore} and the default policy of a
 * snapshot every 100,000 entries) applies {@code --entries} 128-byte commands, closes, and restarts on its data with
 * a fresh {@link CountingStateMachine}; the time from {@code start()} until the state machine has applied every
 * command again (restore plus replay, including the node electing itself) is printed with the data's size.
 *
 * <p>Usage: {@code RestartBenchmark [--entries=10000000] [--snapshots] [--dir=PATH]}.
 */
public final class RestartBenchmark {

    private RestartBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args see the class comment
     * @throws Exception if the node fails
     */
    public static void main(String[] args) throws Exception {
        long entries = 10_000_000;
        boolean snapshots = false;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        for (String a : args) {
            if (a.startsWith("--entries=")) {
                entries = Long.parseLong(a.substring(10));
            } else if (a.equals("--snapshots")) {
                snapshots = true;
            } else if (a.startsWith("--dir=")) {
                parent = Path.of(a.substring(6));
            } else {
                throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        Path dir = Files.createTempDirectory(parent, "raftlib-restart-");
        try {
            run(dir, entries, snapshots);
        } finally {
            WriteBenchmark.deleteTree(dir);
        }
    }

    /** Writes, restarts, and returns the restart's seconds. */
    static double run(Path dir, long entries, boolean snapshots) throws Exception {
        CountingStateMachine first = new CountingStateMachine();
        long writeStart = System.nanoTime();
        try (LocalTransport.Hub hub = LocalTransport.hub(1); RaftNode node = node(dir, snapshots, first, hub)) {
            node.start();
            awaitCondition("n1 to lead", () -> node.status().isLeader());
            Semaphore inFlight = new Semaphore(256);
            for (long i = 0; i < entries; i++) {
                byte[] payload = new byte[128];
                ThreadLocalRandom.current().nextBytes(payload);
                inFlight.acquire();
                node.submit(payload).whenComplete((r, e) -> inFlight.release());
            }
            inFlight.acquire(256);
        }
        System.out.printf("written   : %d entries in %.1f s; data %d MiB%n", entries,
                (System.nanoTime() - writeStart) / 1e9, size(dir) >> 20);
        CountingStateMachine second = new CountingStateMachine();
        try (LocalTransport.Hub hub = LocalTransport.hub(2); RaftNode node = node(dir, snapshots, second, hub)) {
            long start = System.nanoTime();
            node.start();
            awaitCondition("every command applied again", () -> second.count() >= first.count());
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("restart   : %s snapshots, %d commands applied again in %.2f s (state %s)%n",
                    snapshots ? "with" : "without", second.count(), seconds,
                    second.hash() == first.hash() ? "equal" : "DIFFERENT");
            return seconds;
        }
    }

    private static RaftNode node(Path dir, boolean snapshots, CountingStateMachine sm, LocalTransport.Hub hub)
            throws IOException {
        RaftNodeBuilder b = RaftNode.builder().id("n1").members(List.of(Member.of("n1", "local-1")))
                .stateMachine(sm).logStorage(FileLogStorage.open(dir.resolve("log"))).transport(hub.transport())
                .options(RaftOptions.defaults().withMaxPendingRequests(100_000));
        if (snapshots) {
            b.snapshotStore(FileSnapshotStore.open(dir.resolve("snapshots")));
        }
        return b.build();
    }

    /** Polls {@code done} every 5 ms for at most 10 minutes. */
    private static void awaitCondition(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
