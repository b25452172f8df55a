package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.NodeId;
import org.raftlib.testkit.Await;

/**
 * Membership changes on node JVMs from the packaged jar while a client keeps writing: a three-node cluster grows to
 * five (one node added as a voter, one as a learner then promoted), its leader is removed (another takes over and
 * the writes go on), it shrinks back to three, and a member is replaced after its data directory is wiped (removed,
 * wiped, started with {@code --join}, added as a learner, promoted). Afterwards every acknowledged write is on every
 * remaining node (read back from the replaced one; the others hold an identical state machine: same keys, same
 * content digest, same number of entries applied, which is one per distinct key plus one per recorded HTTP address,
 * so nothing was applied twice).
 */
class KvMembershipIT {

    private static final int WRITERS = 4;
    private static final int PROGRESS = 50;

    @TempDir
    Path dir;

    private final Map<String, MemberSpec> specs = new LinkedHashMap<>();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, Integer> starts = new ConcurrentHashMap<>();
    private final List<String> targets = new CopyOnWriteArrayList<>();
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private ExecutorService writers;
    private int httpRecords;
    private final long began = System.nanoTime();

    @AfterEach
    void stopAll() throws InterruptedException {
        stop.set(true);
        if (writers != null) {
            writers.shutdownNow();
            writers.awaitTermination(30, TimeUnit.SECONDS);
        }
        for (Process p : processes.values()) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void growShrinkRemoveTheLeaderAndReplaceAWipedMemberWhileAClientWrites() throws Exception {
        int[] ports = ProcessKit.freePorts(10);
        for (int i = 0; i < 5; i++) {
            String id = "n" + (i + 1);
            specs.put(id, new MemberSpec(NodeId.of(id), "127.0.0.1", ports[2 * i], ports[2 * i + 1]));
        }
        for (String id : List.of("n1", "n2", "n3")) {
            start(id, List.of("n1", "n2", "n3"), false);
        }
        start("n4", List.of("n1", "n2", "n3", "n4"), true);
        start("n5", List.of("n1", "n2", "n3", "n5"), true);
        for (String id : specs.keySet()) {
            awaitReady(id);
        }
        targets.addAll(List.of("n1", "n2", "n3"));
        awaitLeader(List.of("n1", "n2", "n3"));
        startWriters();
        awaitProgress("writes on three nodes");

        growToFive();
        String next = removeTheLeader();
        String follower = followerOf(next);
        assertThat(admin("DELETE", "/members/" + follower, null).get("voters").split(",")).hasSize(3);
        targets.remove(follower);
        stopNode(follower);
        awaitProgress("writes on three nodes again");
        replaceAWipedMember();

        stopWriters();
        assertThat(admin("GET", "/members", null).get("voters").split(","))
                .containsExactlyInAnyOrderElementsOf(targets);
        checkIdenticalStateMachines();
        checkAcknowledgedWrites(targets.get(targets.size() - 1));
    }

    /**
     * 3 -> 5: n4 (running in join mode since the start) as a voter in one step, n5 as a learner then promoted; the
     * requests go to a follower.
     */
    private void growToFive() throws Exception {
        assertThat(ProcessKit.status(http("n4"))).containsEntry("membership", "joining");
        assertThat(admin("POST", "/members/voters", body("n4"))).containsEntry("voters", "n1,n2,n3,n4");
        assertThat(admin("POST", "/members/learners", body("n5"))).containsEntry("learners", "n5");
        assertThat(admin("POST", "/members/promote/n5", null)).containsEntry("voters", "n1,n2,n3,n4,n5")
                .containsEntry("learners", "");
        httpRecords += 2;
        targets.addAll(List.of("n4", "n5"));
        awaitProgress("writes on five nodes");
    }

    /** Removes the leader under load: it steps down, another voter leads, the writes go on. Returns the new one. */
    private String removeTheLeader() throws Exception {
        String old = awaitLeader(targets);
        Map<String, String> removed = admin(old, "DELETE", "/members/" + old, null);
        assertThat(removed.get("voters").split(",")).hasSize(4).doesNotContain(old);
        targets.remove(old);
        String next = awaitLeader(targets);
        assertThat(next).isNotEqualTo(old);
        assertThat(ProcessKit.status(http(old))).containsEntry("membership", "removed")
                .containsEntry("voter", "false");
        awaitProgress("writes after the leader " + old + " was removed");
        stopNode(old);
        return next;
    }

    /**
     * Replaces a member whose data is lost: removes it, wipes its data, has the leader snapshot (so the new member
     * needs the snapshot), starts it with {@code --join}, adds it as a learner and promotes it.
     */
    private void replaceAWipedMember() throws Exception {
        String leader = awaitLeader(targets);
        String lost = followerOf(leader);
        assertThat(admin("DELETE", "/members/" + lost, null).get("voters").split(",")).hasSize(2);
        targets.remove(lost);
        stopNode(lost);
        deleteTree(dir.resolve(lost));
        assertThat(ProcessKit.send(http(leader), "POST", "/snapshot", null).statusCode()).isEqualTo(200);
        awaitProgress("writes past the leader's snapshot");
        List<String> joinList = new ArrayList<>(targets);
        joinList.add(lost);
        start(lost, joinList, true);
        awaitReady(lost);
        assertThat(admin("POST", "/members/learners", body(lost))).containsEntry("learners", lost);
        assertThat(admin("POST", "/members/promote/" + lost, null)).containsEntry("learners", "");
        httpRecords++;
        targets.add(lost);
        awaitProgress("writes after " + lost + " was replaced");
    }

    private void start(String id, List<String> members, boolean join) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessKit.java(), "-Xmx256m", "-jar",
                ProcessKit.jar().toString(), "node", "--id", id,
                "--members", MemberSpec.format(members.stream().map(specs::get).toList()),
                "--data", dir.resolve(id).toString()));
        if (join) {
            cmd.add("--join");
        }
        starts.merge(id, 1, Integer::sum);
        processes.put(id, ProcessKit.start(cmd, dir, log(id)));
    }

    private Path log(String id) {
        return dir.resolve(id + "-" + starts.get(id) + ".log");
    }

    private void awaitReady(String id) throws IOException, InterruptedException {
        ProcessKit.awaitLine(log(id), KvNode.READY, 1, processes.get(id));
    }

    private void stopNode(String id) throws InterruptedException {
        Process p = processes.remove(id);
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private URI http(String id) {
        return specs.get(id).httpUri();
    }

    private String body(String id) {
        MemberSpec m = specs.get(id);
        return Json.encode(Map.of("id", id, "address", m.member().address(), "httpAddress", m.httpUri().toString()));
    }

    /** Sends a membership request to a node that does not lead (it forwards), expecting 200. */
    private Map<String, String> admin(String method, String path, String body) {
        String leader = awaitLeader(targets);
        return admin(followerOf(leader), method, path, body);
    }

    private Map<String, String> admin(String node, String method, String path, String body) {
        HttpResponse<String> r = ProcessKit.send(http(node), method, path, body);
        assertThat(r).as("%s %s on %s answered", method, path, node).isNotNull();
        assertThat(r.statusCode()).as("%s %s on %s: %s", method, path, node, r.body()).isEqualTo(200);
        return Json.decode(r.body());
    }

    private String awaitLeader(List<String> among) {
        String[] found = new String[1];
        Await.until("a leader among " + among, ProcessKit.WAIT, () -> {
            for (String id : among) {
                if ("LEADER".equals(ProcessKit.status(http(id)).get("role"))) {
                    found[0] = id;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private String followerOf(String leader) {
        return targets.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    private void startWriters() {
        writers = Executors.newFixedThreadPool(WRITERS);
        AtomicLong seq = new AtomicLong();
        for (int w = 0; w < WRITERS; w++) {
            writers.submit(() -> {
                while (!stop.get()) {
                    long n = seq.getAndIncrement();
                    List<String> now = List.copyOf(targets);
                    String key = "w-" + n;
                    String value = "v-" + n;
                    HttpResponse<String> r = ProcessKit.send(http(now.get((int) (n % now.size()))), "PUT",
                            "/kv/" + key, value);
                    if (r != null && r.statusCode() == 200) {
                        acked.put(key, value);
                    } else {
                        failed.incrementAndGet();
                    }
                }
            });
        }
    }

    private void stopWriters() throws InterruptedException {
        stop.set(true);
        writers.shutdown();
        assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).as("writers stop").isTrue();
        System.out.printf("%d writes acknowledged, %d failed or unknown%n", acked.size(), failed.get());
    }

    private void awaitProgress(String what) {
        int goal = acked.size() + PROGRESS;
        Await.until(PROGRESS + " more acknowledged " + what, ProcessKit.WAIT, () -> acked.size() >= goal);
        System.out.printf("%6d ms: %d acknowledged, %s%n", (System.nanoTime() - began) / 1_000_000, acked.size(),
                what);
    }

    /** Waits until the remaining nodes applied the same entries, then compares their state machines. */
    private void checkIdenticalStateMachines() {
        String[] last = new String[1];
        Await.until("identical state machines on " + targets, ProcessKit.WAIT, () -> {
            List<Map<String, String>> all = targets.stream().map(id -> ProcessKit.status(http(id))).toList();
            last[0] = all.stream().map(s -> s.get("id") + " applied " + s.get("appliedIndex") + " keys "
                    + s.get("kvKeys") + " digest " + s.get("kvDigest") + " entries " + s.get("kvCommands"))
                    .collect(Collectors.joining("; "));
            return all.stream().map(s -> Stream.of("appliedIndex", "kvKeys", "kvDigest", "kvCommands")
                    .map(s::get).toList()).distinct().count() == 1 && all.get(0).get("kvKeys") != null;
        });
        System.out.println("state machines: " + last[0]);
        Map<String, String> s = ProcessKit.status(http(targets.get(0)));
        long keys = Long.parseLong(s.get("kvKeys"));
        assertThat(keys).as("keys, against %d acknowledged writes", acked.size()).isGreaterThanOrEqualTo(acked.size())
                .isLessThanOrEqualTo(acked.size() + failed.get());
        assertThat(Long.parseLong(s.get("kvCommands"))).as("entries applied: one per key written, one per HTTP"
                + " address recorded (%s)", last[0]).isEqualTo(keys + httpRecords);
    }

    /**
     * Reads every acknowledged key from {@code id}'s own state (a stale read, not forwarded); the other nodes hold the
     * same state, as {@link #checkIdenticalStateMachines} showed.
     */
    private void checkAcknowledgedWrites(String id) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> problems = new ArrayList<>();
            for (Map.Entry<String, String> e : acked.entrySet()) {
                problems.add(pool.submit(() -> {
                    HttpResponse<String> r = ProcessKit.send(http(id), "GET", "/kv/" + e.getKey() + "?stale=true",
                            null);
                    if (r == null || r.statusCode() != 200) {
                        return e.getKey() + ": " + (r == null ? "no answer" : r.body());
                    }
                    String value = Json.decode(r.body()).get("value");
                    return e.getValue().equals(value) ? null : e.getKey() + " = " + value;
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<String> f : problems) {
                String p = f.get(2, TimeUnit.MINUTES);
                if (p != null) {
                    wrong.add(p);
                }
            }
            assertThat(wrong).as("acknowledged writes missing or wrong on %s", id).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
