package org.raftlib.nemesis;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One run of {@link ExactlyOnceIT}: three key-value JVMs on 127.0.0.1 with a snapshot every
 * {@value #SNAPSHOT_EVERY_ENTRIES} entries, {@link AppendWriters} appending through followers, and seeded fault rounds
 * until the time is up: a quiet 1-2 s, then SIGKILL of the leader, or every sixth round (from the second) of the
 * follower that was last sent a write, or every sixth (from the fourth) of every node; held 0.5-1.5 s (0.3-0.8 s for
 * every node), then restarts on the same data and a leader awaited. Then it heals, waits until the nodes converge,
 * reads every key linearizably through every node, and counts how often each was applied.
 */
final class ExactlyOnceRun {

    /** What to run. */
    record Settings(Duration faults, long seed, int clients, AppendWriters.Retry retry, Path out) {
    }

    /** The result: passed or not, the report, and the directory holding the node logs and the report. */
    record Result(boolean passed, String report, Path dir) {
    }

    static final int NODES = 3;
    static final int SNAPSHOT_EVERY_ENTRIES = 50;
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(3);
    /** Longer than a node's own deadline for a write (5 s, plus 1 s when it forwards), so it answers first. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(8);
    private static final Duration CONVERGENCE_LIMIT = Duration.ofSeconds(60);
    private static final int SHOWN = 10;
    /** Threads reading the final values through one node. */
    private static final int READERS_PER_NODE = 16;

    private final Settings settings;
    private final Path dir;
    private final PrintStream out;
    private final Random random;
    private final List<String> problems = new ArrayList<>();
    private final List<String> report = new ArrayList<>();
    private final Map<String, Integer> kills = new TreeMap<>();
    /** How many keys were found applied 0, 1, 2... times. */
    private final Map<Integer, Integer> applied = new TreeMap<>();
    /** When the writers started. */
    private long origin;

    private ExactlyOnceRun(Settings settings, Path dir, PrintStream out) {
        this.settings = settings;
        this.dir = dir;
        this.out = out;
        this.random = new Random(settings.seed());
    }

    /** Runs once with {@code settings}, printing progress to {@code out}. */
    static Result run(Settings settings, PrintStream out) throws IOException, InterruptedException {
        Path dir = settings.out().resolve(String.format("once-seed%d-%d", settings.seed(),
                System.currentTimeMillis() / 1000));
        Files.createDirectories(dir);
        return new ExactlyOnceRun(settings, dir, out).execute();
    }

    private Result execute() throws IOException, InterruptedException {
        line("exactly-once: seed " + settings.seed() + ", " + NODES + " nodes on 127.0.0.1, " + settings.clients()
                + " writers (append through followers), " + settings.faults().toSeconds() + " s of faults, snapshot"
                + " every " + SNAPSHOT_EVERY_ENTRIES + " entries; retry the same key after an indeterminate outcome: "
                + settings.retry() + "; rerun with -Donce.seed=" + settings.seed() + "; artifacts in "
                + dir);
        List<String> jvm = List.of("-Draftlib.kv.test.snapshotEveryEntries=" + SNAPSHOT_EVERY_ENTRIES);
        History clock = new History();
        List<AppendWriters.KeyLog> keys;
        AppendWriters writers;
        try (Cluster cluster = Cluster.start(NODES, dir, null, jvm)) {
            Nemesis healer = new Nemesis(cluster, clock, settings.seed(), out);
            if (healer.awaitLeader() < 0) {
                throw new AssertionError("no first leader; logs in " + dir);
            }
            writers = new AppendWriters(cluster, settings.clients(), settings.seed(), settings.retry(), WRITE_TIMEOUT);
            writers.start();
            origin = System.nanoTime();
            long end = clock.now() + settings.faults().toNanos();
            try {
                for (int round = 0; clock.now() < end; round++) {
                    round(cluster, healer, writers, round);
                }
            } finally {
                writers.stop();
                healer.heal();
            }
            problems.addAll(healer.problems());
            keys = writers.keys();
            Map<String, Map<Integer, String>> finals = finalReads(cluster, keys);
            if (finals != null) {
                check(keys, finals);
            }
        }
        summary(keys, writers);
        boolean passed = problems.isEmpty();
        line(passed ? "PASSED (seed " + settings.seed() + ")" : "FAILED (seed " + settings.seed() + "):\n  "
                + String.join("\n  ", problems));
        String text = String.join("\n", report) + "\n";
        Files.writeString(dir.resolve("report.txt"), text, StandardCharsets.UTF_8);
        if (passed) {
            for (int i = 1; i <= NODES; i++) {
                deleteTree(dir.resolve("n" + i));
            }
        }
        return new Result(passed, text, dir);
    }

    /** A quiet while, then one fault, held, then the killed nodes restarted and a leader awaited. */
    private void round(Cluster cluster, Nemesis healer, AppendWriters writers, int round)
            throws InterruptedException, IOException {
        pause(1000 + random.nextInt(1000));
        int leader = cluster.leader().node();
        List<Integer> victims = new ArrayList<>();
        String kind;
        if (round % 6 == 3) {
            kind = "KILL_ALL";
            for (int i = 0; i < cluster.size(); i++) {
                victims.add(i);
            }
            line("  before KILL_ALL: " + nodes(cluster).map(i -> Map.entry(i, cluster.status(i)))
                    .map(e -> cluster.name(e.getKey()) + " applied " + e.getValue().get("appliedIndex") + " snapshot "
                            + e.getValue().get("snapshotIndex")).collect(Collectors.joining(", ")));
        } else if (round % 6 == 1 && writers.lastWrittenFollower() >= 0) {
            kind = "KILL_FOLLOWER";
            victims.add(writers.lastWrittenFollower());
        } else if (leader >= 0) {
            kind = "KILL_LEADER";
            victims.add(leader);
        } else {
            line(String.format("once %7.3f s: round %d: no leader to kill", clockSeconds(), round));
            healer.awaitLeader();
            return;
        }
        for (int v : victims) {
            cluster.kill(v);
        }
        kills.merge(kind, 1, Integer::sum);
        line(String.format("once %7.3f s: round %d: %s %s", clockSeconds(), round, kind,
                victims.stream().map(cluster::name).toList()));
        pause(kind.equals("KILL_ALL") ? 300 + random.nextInt(500) : 500 + random.nextInt(1000));
        healer.heal();
        healer.awaitLeader();
    }

    private double clockSeconds() {
        return (System.nanoTime() - origin) / 1e9;
    }

    private static Stream<Integer> nodes(Cluster cluster) {
        return Stream.iterate(0, i -> i + 1).limit(cluster.size());
    }

    /**
     * Waits until every node reports the same applied index and digest, then reads every key linearizably through
     * every node (one thread per node); the value per key and node, null for absent. Null if that failed.
     */
    private Map<String, Map<Integer, String>> finalReads(Cluster cluster, List<AppendWriters.KeyLog> keys)
            throws InterruptedException {
        Map<String, String> status = awaitConvergence(cluster);
        if (status == null) {
            return null;
        }
        line("converged: applied index " + status.get("appliedIndex") + ", digest " + status.get("kvDigest") + ", "
                + status.get("kvKeys") + " keys on every node");
        long started = System.nanoTime();
        Map<String, Map<Integer, String>> values = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            for (int part = 0; part < READERS_PER_NODE; part++) {
                int node = i;
                List<AppendWriters.KeyLog> share = new ArrayList<>();
                for (int k = part; k < keys.size(); k += READERS_PER_NODE) {
                    share.add(keys.get(k));
                }
                Thread t = new Thread(() -> readAll(cluster, node, share, values, failures), "once-reader-" + i);
                readers.add(t);
                t.start();
            }
        }
        for (Thread t : readers) {
            t.join();
        }
        line("read " + keys.size() + " keys through each of the " + cluster.size() + " nodes (linearizable) in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        if (!failures.isEmpty()) {
            problems.addAll(failures);
            return null;
        }
        long present = keys.stream().filter(k -> values.get(k.key).values().stream().anyMatch(v -> !v.isEmpty()))
                .count();
        if (present != Long.parseLong(status.get("kvKeys"))) {
            problems.add("the nodes hold " + status.get("kvKeys") + " keys but only " + present + " of the keys"
                    + " written: something else was written");
        }
        return values;
    }

    private static void readAll(Cluster cluster, int node, List<AppendWriters.KeyLog> keys,
            Map<String, Map<Integer, String>> values, List<String> failures) {
        KvClient client = new KvClient(-1, new History(), CLIENT_TIMEOUT);
        long deadline = System.nanoTime() + CONVERGENCE_LIMIT.toNanos();
        for (AppendWriters.KeyLog k : keys) {
            Op op = client.get(cluster.http(node), k.key);
            while (op.outcome() != Op.Outcome.OK) {
                if (System.nanoTime() > deadline) {
                    failures.add("no linearizable read of " + k.key + " through " + cluster.name(node)
                            + " succeeded within " + CONVERGENCE_LIMIT);
                    return;
                }
                pause(AppendWriters.POLL_MILLIS);
                op = client.get(cluster.http(node), k.key);
            }
            String value = op.result();
            values.computeIfAbsent(k.key, x -> new ConcurrentHashMap<>()).put(node, value == null ? "" : value);
        }
    }

    private Map<String, String> awaitConvergence(Cluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + CONVERGENCE_LIMIT.toNanos();
        while (true) {
            List<Map<String, String>> s = nodes(cluster).map(cluster::status).toList();
            if (s.stream().allMatch(m -> m.get("kvDigest") != null && m.get("kvDigest").equals(s.get(0)
                    .get("kvDigest")) && m.get("appliedIndex").equals(s.get(0).get("appliedIndex")))) {
                return s.get(0);
            }
            if (System.nanoTime() > deadline) {
                problems.add("nodes did not converge within " + CONVERGENCE_LIMIT + ": " + s.stream()
                        .map(m -> m.get("id") + " applied " + m.get("appliedIndex") + " digest " + m.get("kvDigest"))
                        .collect(Collectors.joining("; ")));
                return null;
            }
            pause(200);
        }
    }

    /**
     * Every key: all nodes hold the same value; it is {@code "x"} repeated (its length the number of applications),
     * at most once; once exactly if acknowledged, and the acknowledgement itself said {@code "x"}.
     */
    private void check(List<AppendWriters.KeyLog> keys, Map<String, Map<Integer, String>> finals) {
        List<String> duplicates = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (AppendWriters.KeyLog k : keys) {
            Map<Integer, String> byNode = finals.get(k.key);
            String value = byNode.get(0);
            applied.merge(value.length(), 1, Integer::sum);
            if (byNode.values().stream().distinct().count() != 1) {
                other.add("nodes disagree on " + k.key + ": " + new TreeMap<>(byNode));
            }
            if (!value.matches("x*")) {
                other.add(k.key + " holds " + value + ", not a run of x");
            }
            String attempts = (k.acknowledged() ? ", acknowledged with value " + k.acknowledgedValue
                    : ", not acknowledged") + " (attempts " + k.trail + ")";
            if (value.length() > 1) {
                duplicates.add(k.key + " applied " + value.length() + " times" + attempts);
            } else if (k.acknowledged() && value.length() != 1) {
                lost.add(k.key + " applied " + value.length() + " times" + attempts);
            } else if (k.acknowledged() && !k.acknowledgedValue.equals(value)) {
                other.add(k.key + " holds " + value + attempts);
            }
            if (k.rejection != null) {
                other.add(k.key + " refused as a bad request: " + k.rejection);
            }
        }
        report("DUPLICATE (applied more than once)", duplicates);
        report("LOST (acknowledged, not applied)", lost);
        report("OTHER", other);
    }

    private void report(String what, List<String> found) {
        if (!found.isEmpty()) {
            problems.add(found.size() + " keys " + what + ", e.g.:\n    " + String.join("\n    ",
                    found.subList(0, Math.min(SHOWN, found.size()))));
        }
    }

    private void summary(List<AppendWriters.KeyLog> keys, AppendWriters writers) {
        long acknowledged = keys.stream().filter(AppendWriters.KeyLog::acknowledged).count();
        int refused = keys.stream().mapToInt(k -> k.refused).sum();
        int maybe = keys.stream().mapToInt(k -> k.maybe).sum();
        int noAnswer = keys.stream().mapToInt(k -> k.noAnswer).sum();
        long maybeKeys = keys.stream().filter(k -> k.maybe > 0).count();
        long noAnswerKeys = keys.stream().filter(k -> k.noAnswer > 0).count();
        line(String.format("writes: %d keys, %d attempts, %d acknowledged, %d unacknowledged at the end; %d refused"
                + " answers (retried: safe); indeterminate: %d \"may or may not\" answers on %d keys, %d without an"
                + " answer on %d keys (retried on the same key: %s)", keys.size(), writers.attempts(), acknowledged,
                keys.size() - acknowledged, refused, maybe, maybeKeys, noAnswer, noAnswerKeys, settings.retry()));
        line("kills: " + kills + "; snapshots taken or installed (as /status showed them): "
                + writers.snapshotsSeen());
        line("keys by number of applications (final linearizable reads, every node): " + applied);
    }

    private void line(String s) {
        out.println(s);
        report.add(s);
    }

    private static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
