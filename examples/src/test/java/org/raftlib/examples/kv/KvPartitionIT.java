package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.NodeId;
import org.raftlib.RaftOptions;
import org.raftlib.testkit.Await;

/**
 * Three {@link KvNode} JVMs, each in its own network namespace ({@link NetLab}; Linux and root, skipped elsewhere),
 * with links cut and healed by dropping packets: after a heal, the leader's match index for the healed follower must
 * reach the leader's log within about two election timeouts, however long the partition lasted (raftlib issue 14).
 * Cases: the follower isolated for 5 s and for 30 s, one-way cuts in each direction, and a partial partition (the
 * leader and one follower cut apart, both still reaching the third node), through which the leader must keep its
 * term and every write must succeed. Every case runs and prints its lag before the assertions.
 */
class KvPartitionIT {

    /** Two election timeouts at the top of their random range [T, 2T), with the example's default T. */
    private static final Duration HEAL_BOUND = RaftOptions.DEFAULT_ELECTION_TIMEOUT.multipliedBy(4);
    private static final Duration MEASURE_LIMIT = Duration.ofSeconds(90);
    private static final int NODES = 3;
    private static final int RAFT_PORT = 7001;
    private static final int HTTP_PORT = 8001;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)     // a failed run keeps the nodes' logs
    Path dir;

    private NetLab lab;
    private final List<MemberSpec> members = new ArrayList<>();
    private final Process[] processes = new Process[NODES];
    private final AtomicInteger keys = new AtomicInteger();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            if (p != null) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void healedLinksCarryTrafficAgainWithinTwoElectionTimeouts() throws Exception {
        String why = NetLab.unavailable();
        Assumptions.assumeTrue(why == null, () -> "skipped: " + why);
        try {
            lab = NetLab.create(NODES);
        } catch (IOException e) {
            Assumptions.abort("skipped: cannot build network namespaces here: " + e.getMessage());
        }
        startCluster();
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();

        for (long seconds : new long[] {5, 30}) {
            healCase("follower isolated for " + seconds + " s", Duration.ofSeconds(seconds), report, failures,
                    (leader, follower) -> {
                        for (int other = 0; other < NODES; other++) {
                            if (other != follower) {
                                lab.drop(other, follower);
                                lab.drop(follower, other);
                            }
                        }
                    });
        }
        healCase("one-way cut leader -> follower, 8 s", Duration.ofSeconds(8), report, failures,
                (leader, follower) -> lab.drop(leader, follower));
        healCase("one-way cut follower -> leader, 8 s", Duration.ofSeconds(8), report, failures,
                (leader, follower) -> lab.drop(follower, leader));
        partialPartition(Duration.ofSeconds(8), report, failures);

        report.forEach(System.out::println);
        assertThat(failures).as("cases over the bound of %s after the heal (node logs in %s); report:%n%s",
                HEAL_BOUND, dir, String.join("\n", report)).isEmpty();
    }

    /** Cuts the links between the leader and a follower with {@code cut}, writes through the partition, heals. */
    private void healCase(String name, Duration partition, List<String> report, List<String> failures, Cut cut)
            throws Exception {
        int leader = awaitLeader();
        int follower = (leader + 1) % NODES;
        cut.apply(leader, follower);
        int failedWrites = writeFor(leader, partition, new AtomicBoolean());
        measureHeal(name + " (" + failedWrites + " failed writes)", leader, follower, report, failures);
    }

    /**
     * Cuts the leader and a follower apart while both still reach the third node: the leader keeps its quorum
     * through it, so its term must not change and every write must succeed.
     */
    private void partialPartition(Duration partition, List<String> report, List<String> failures) throws Exception {
        int leader = awaitLeader();
        int follower = (leader + 1) % NODES;
        String term = status(leader).get("term");
        lab.drop(leader, follower);
        lab.drop(follower, leader);
        AtomicBoolean deposed = new AtomicBoolean();
        int failedWrites = writeFor(leader, partition, deposed);
        String name = "partial partition " + members.get(leader).id() + " | " + members.get(follower).id() + ", "
                + partition.toSeconds() + " s (" + failedWrites + " failed writes)";
        if (failedWrites > 0 || deposed.get() || !term.equals(status(leader).get("term"))) {
            failures.add(name + ": the leader lost its term or writes failed although a quorum was reachable");
        }
        measureHeal(name, leader, follower, report, failures);
    }

    /**
     * Puts keys through {@code leader} for {@code period}, one after another; returns how many failed. Sets
     * {@code deposed} if a status poll in between finds it no longer leading.
     */
    private int writeFor(int leader, Duration period, AtomicBoolean deposed) {
        long end = System.nanoTime() + period.toNanos();
        int failed = 0;
        while (System.nanoTime() - end < 0) {
            int k = keys.incrementAndGet();
            HttpResponse<String> r = ProcessKit.send(http(leader), "PUT", "/kv/p" + k, "v" + k);
            if (r == null || r.statusCode() != 200) {
                failed++;
            }
            if (!"LEADER".equals(status(leader).get("role"))) {
                deposed.set(true);
            }
        }
        return failed;
    }

    /** Heals every cut and measures how long until the leader sees the follower hold its whole log. */
    private void measureHeal(String name, int leader, int follower, List<String> report, List<String> failures)
            throws Exception {
        Map<String, String> before = status(leader);
        long target = Long.parseLong(before.get("lastLogIndex"));
        String matchKey = "peer." + members.get(follower).id() + ".matchIndex";
        long matchBefore = Long.parseLong(before.getOrDefault(matchKey, "-1"));
        assertThat(matchBefore).as("%s: the cut held the follower back (match %d, log %d)", name, matchBefore,
                target).isLessThan(target);
        lab.healAll();
        long healed = System.nanoTime();
        long deadline = healed + MEASURE_LIMIT.toNanos();
        while (Long.parseLong(status(leader).getOrDefault(matchKey, "-1")) < target) {
            if (System.nanoTime() - deadline > 0) {
                failures.add(name + ": no catch-up within " + MEASURE_LIMIT);
                report.add(name + ": no catch-up within " + MEASURE_LIMIT);
                return;
            }
            Thread.sleep(5);
        }
        long lagMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
        report.add(String.format("%-70s heal lag %6d ms", name, lagMillis));
        if (lagMillis > HEAL_BOUND.toMillis()) {
            failures.add(name + ": " + lagMillis + " ms");
        }
        awaitAllCaughtUp();
    }

    /** Waits until the leader sees every follower hold its whole log, so the next case starts from a calm cluster. */
    private void awaitAllCaughtUp() {
        Await.until("every follower to catch up", MEASURE_LIMIT, () -> {
            for (int i = 0; i < NODES; i++) {
                Map<String, String> s = status(i);
                if ("LEADER".equals(s.get("role"))) {
                    String last = s.get("lastLogIndex");
                    return members.stream().filter(m -> !m.id().value().equals(s.get("id")))
                            .allMatch(m -> last.equals(s.get("peer." + m.id() + ".matchIndex")));
                }
            }
            return false;
        });
    }

    private void startCluster() throws Exception {
        for (int i = 0; i < NODES; i++) {
            members.add(new MemberSpec(NodeId.of("n" + (i + 1)), lab.address(i), RAFT_PORT, HTTP_PORT));
        }
        for (int i = 0; i < NODES; i++) {
            MemberSpec m = members.get(i);
            List<String> java = List.of(ProcessKit.java(), "-Xmx256m", "-jar", ProcessKit.jar().toString(), "node",
                    "--id", m.id().value(), "--members", MemberSpec.format(members),
                    "--data", dir.resolve(m.id().value()).toString(),
                    "--parent-pid", Long.toString(ProcessHandle.current().pid()));
            processes[i] = ProcessKit.start(lab.inNamespace(i, java), dir, dir.resolve(m.id() + ".log"));
        }
        for (int i = 0; i < NODES; i++) {
            ProcessKit.awaitLine(dir.resolve(members.get(i).id() + ".log"), KvNode.READY, 1, processes[i]);
        }
        int leader = awaitLeader();
        HttpResponse<String> r = ProcessKit.send(http(leader), "PUT", "/kv/start", "1");
        assertThat(r).as("a first write").isNotNull();
        assertThat(r.statusCode()).as("a first write: %s", r.body()).isEqualTo(200);
        awaitAllCaughtUp();
    }

    private int awaitLeader() {
        int[] found = {-1};
        Await.until("a leader", ProcessKit.WAIT, () -> {
            for (int i = 0; i < NODES; i++) {
                if ("LEADER".equals(status(i).get("role"))) {
                    found[0] = i;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private Map<String, String> status(int i) {
        return ProcessKit.status(http(i));
    }

    private URI http(int i) {
        return members.get(i).httpUri();
    }

    /** Cuts links between the leader and a follower, by node index. */
    @FunctionalInterface
    private interface Cut {
        void apply(int leader, int follower) throws IOException;
    }
}
