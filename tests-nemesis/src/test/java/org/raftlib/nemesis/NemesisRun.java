package org.raftlib.nemesis;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.raftlib.examples.kv.NetLab;

/**
 * One run of the fault suite: starts the cluster, runs the clients and the nemesis for the given time, heals, then
 * checks the history for linearizability (final reads of every key included, so a lost acknowledged write shows),
 * that every node runs and converges to the same state, and prints availability figures. Everything goes to the
 * run's directory: the report, the history, the seed and the node logs (node data is removed if the run passed).
 */
final class NemesisRun {

    /** What to run. */
    record Settings(int nodes, Duration faults, long seed, int clients, boolean unsafeLocalReads, Path out) {
    }

    /** The result: passed or not, the report, and the directory holding the artifacts. */
    record Result(boolean passed, String report, Path dir) {
    }

    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CONVERGENCE_LIMIT = Duration.ofSeconds(60);
    private static final int KEYS = 5;
    private static final int SNAPSHOT_EVERY_ENTRIES = 150;

    private final Settings settings;
    private final Path dir;
    private final PrintStream out;
    private final List<String> problems = new ArrayList<>();
    private final List<String> report = new ArrayList<>();

    private NemesisRun(Settings settings, Path dir, PrintStream out) {
        this.settings = settings;
        this.dir = dir;
        this.out = out;
    }

    /** Runs once with {@code settings}, printing progress to {@code out}. */
    static Result run(Settings settings, PrintStream out) throws IOException, InterruptedException {
        Path dir = settings.out().resolve(String.format("%dn-seed%d-%d", settings.nodes(), settings.seed(),
                System.currentTimeMillis() / 1000));
        Files.createDirectories(dir);
        return new NemesisRun(settings, dir, out).execute();
    }

    private Result execute() throws IOException, InterruptedException {
        line("seed " + settings.seed() + ", " + settings.nodes() + " nodes, " + settings.clients() + " clients, "
                + settings.faults().toSeconds() + " s of faults; rerun with -Dnemesis.seed=" + settings.seed()
                + "; artifacts in " + dir);
        NetLab lab = network();
        List<String> jvm = new ArrayList<>(List.of("-Draftlib.kv.test.snapshotEveryEntries=" + SNAPSHOT_EVERY_ENTRIES));
        if (settings.unsafeLocalReads()) {
            jvm.add("-Draftlib.kv.test.unsafeLocalReads=true");
            line("BROKEN BUILD ON PURPOSE: nodes serve GETs from local state without ReadIndex");
        }
        History history = new History();
        try (Cluster cluster = Cluster.start(settings.nodes(), dir, lab, jvm)) {
            Nemesis nemesis = new Nemesis(cluster, history, settings.seed(), out);
            line("faults: " + nemesis.faults());
            if (nemesis.awaitLeader() < 0) {
                throw new AssertionError("no first leader; logs in " + dir);
            }
            Workload workload = new Workload(cluster, history, KEYS, settings.clients(), settings.seed(),
                    CLIENT_TIMEOUT);
            workload.start();
            long faultsEnd = history.now() + settings.faults().toNanos();
            try {
                nemesis.run(faultsEnd);
            } finally {
                nemesis.heal();
                workload.stop();
            }
            long end = history.now();
            problems.addAll(nemesis.problems());
            finalChecks(cluster, history, workload.keys());
            availability(nemesis.events(), history.ops(), end);
        }
        history.save(dir.resolve("history.tsv"));
        checkHistory(history.ops());
        boolean passed = problems.isEmpty();
        line(passed ? "PASSED (seed " + settings.seed() + ")" : "FAILED (seed " + settings.seed() + "):\n  "
                + String.join("\n  ", problems));
        String text = String.join("\n", report) + "\n";
        Files.writeString(dir.resolve("report.txt"), text, StandardCharsets.UTF_8);
        if (passed) {
            for (int i = 1; i <= settings.nodes(); i++) {
                deleteTree(dir.resolve("n" + i));
            }
        }
        return new Result(passed, text, dir);
    }

    private NetLab network() {
        String why = NetLab.unavailable();
        if (why == null) {
            try {
                return NetLab.create(settings.nodes());
            } catch (IOException e) {
                why = "cannot build network namespaces here: " + e.getMessage();
            }
        }
        line("partition faults SKIPPED, nodes on 127.0.0.1: " + why);
        return null;
    }

    /**
     * After the clients stopped: every node runs, all reach the same applied state, a linearizable read of every key
     * (added to the history, so a lost acknowledged write makes it non-linearizable) and each node's local reads
     * agree. Repeated (up to three times) if a write still in flight when the clients gave up lands meanwhile.
     */
    private void finalChecks(Cluster cluster, History history, List<String> keys) throws InterruptedException {
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.alive(i)) {
                problems.add(cluster.name(i) + " is not running at the end (log " + cluster.log(i) + ")");
            }
        }
        for (int attempt = 1; attempt <= 3; attempt++) {
            List<Map<String, String>> before = awaitConvergence(cluster);
            if (before == null) {
                return;
            }
            Map<String, String> finals = finalReads(cluster, history, keys);
            if (finals == null) {
                return;
            }
            List<String> mismatches = new ArrayList<>();
            KvClient local = new KvClient(-1, new History(), CLIENT_TIMEOUT);
            for (int i = 0; i < cluster.size(); i++) {
                for (String key : keys) {
                    Op op = local.localGet(cluster.http(i), key);
                    if (op.outcome() != Op.Outcome.OK || !Objects.equals(op.result(), finals.get(key))) {
                        mismatches.add(cluster.name(i) + " holds " + (op.outcome() == Op.Outcome.OK
                                ? Op.show(op.result()) : "(no answer)") + " for " + key + " but the final read gave "
                                + Op.show(finals.get(key)));
                    }
                }
            }
            List<Map<String, String>> after = statuses(cluster);
            if (converged(after) && after.get(0).get("kvDigest").equals(before.get(0).get("kvDigest"))) {
                line("converged: applied index " + after.get(0).get("appliedIndex") + ", digest "
                        + after.get(0).get("kvDigest") + " on every node; " + finals.size() + " keys read at the end, "
                        + finals.values().stream().filter(Objects::nonNull).count() + " of them present");
                problems.addAll(mismatches);
                return;
            }
        }
        problems.add("the replicated state kept changing after the clients had stopped");
    }

    private List<Map<String, String>> awaitConvergence(Cluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + CONVERGENCE_LIMIT.toNanos();
        List<Map<String, String>> statuses = statuses(cluster);
        while (!converged(statuses)) {
            if (System.nanoTime() > deadline) {
                problems.add("nodes did not converge within " + CONVERGENCE_LIMIT + ": " + statuses.stream()
                        .map(s -> s.get("id") + " role " + s.get("role") + " applied " + s.get("appliedIndex")
                                + " digest " + s.get("kvDigest")).collect(Collectors.joining("; ")));
                return null;
            }
            Thread.sleep(200);
            statuses = statuses(cluster);
        }
        return statuses;
    }

    private static List<Map<String, String>> statuses(Cluster cluster) {
        return Stream.iterate(0, i -> i + 1).limit(cluster.size()).map(cluster::status).toList();
    }

    /** Reads every key through the leader until it answers, adding the reads to the history; null if one never did. */
    private Map<String, String> finalReads(Cluster cluster, History history, List<String> keys)
            throws InterruptedException {
        KvClient client = new KvClient(settings.clients(), history, CLIENT_TIMEOUT);
        long deadline = System.nanoTime() + CONVERGENCE_LIMIT.toNanos();
        Map<String, String> finals = new TreeMap<>();
        for (String key : keys) {
            while (true) {
                int leader = cluster.leader().node();
                Op op = leader < 0 ? null : client.get(cluster.http(leader), key);
                if (op != null && op.outcome() == Op.Outcome.OK) {
                    finals.put(key, op.result());
                    break;
                }
                if (System.nanoTime() > deadline) {
                    problems.add("no final read of " + key + " succeeded within " + CONVERGENCE_LIMIT);
                    return null;
                }
                Thread.sleep(100);
            }
        }
        return finals;
    }

    private static boolean converged(List<Map<String, String>> statuses) {
        if (statuses.isEmpty() || statuses.stream().anyMatch(s -> s.get("kvDigest") == null)) {
            return false;
        }
        Map<String, String> first = statuses.get(0);
        return statuses.stream().allMatch(s -> first.get("kvDigest").equals(s.get("kvDigest"))
                && first.get("appliedIndex").equals(s.get("appliedIndex")));
    }

    private void checkHistory(List<Op> ops) {
        long started = System.nanoTime();
        Linearizability.Result r = Linearizability.check(ops);
        Map<Op.Outcome, Long> counts = ops.stream().collect(Collectors.groupingBy(Op::outcome, TreeMap::new,
                Collectors.counting()));
        line("history: " + ops.size() + " operations " + counts + "; checked in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms: "
                + (r.linearizable() ? "linearizable" : "NOT linearizable"));
        if (!r.linearizable()) {
            line(r.explain());
            problems.add("the history is not linearizable (see the explanation above and " + dir.resolve("history.tsv")
                    + ")");
        }
    }

    /** Per fault: the longest time without an acknowledged write, the time to a new leader, the recovery time. */
    private void availability(List<Nemesis.Event> events, List<Op> ops, long end) {
        List<Long> acks = ops.stream().filter(op -> op.outcome() == Op.Outcome.OK && op.kind() != Op.Kind.GET)
                .map(Op::complete).sorted().toList();
        line(String.format("%-44s %9s %12s %12s %12s", "fault", "at", "max write", "new leader", "heal, then"));
        line(String.format("%-44s %9s %12s %12s %12s", "", "", "gap", "during", "a leader"));
        for (int e = 0; e < events.size(); e++) {
            Nemesis.Event ev = events.get(e);
            long until = e + 1 < events.size() ? events.get(e + 1).start() : end;
            long last = ev.start();
            long gap = 0;
            for (long t : acks) {
                if (t > ev.start() && t <= until) {
                    gap = Math.max(gap, t - last);
                    last = t;
                }
            }
            gap = Math.max(gap, until - last);
            line(String.format("%-44s %7.1f s %10d ms %12s %12s", ev.what(), ev.start() / 1e9, gap / 1_000_000,
                    ev.leaderHit() ? millis(ev.newLeader(), ev.start()) : "-", millis(ev.recovered(), ev.healed())));
        }
    }

    private static String millis(long at, long from) {
        return at < 0 ? "none" : (at - from) / 1_000_000 + " ms";
    }

    private void line(String s) {
        out.println(s);
        report.add(s);
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
