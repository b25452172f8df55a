package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.NodeId;
import org.raftlib.testkit.Await;

/**
 * Three {@link KvNode} JVMs from the packaged jar: writes, SIGKILL of the leader, reads of every acknowledged write
 * from the survivors, and catch-up of the killed node after a restart on its data directory.
 */
class KvProcessCrashIT {

    private static final int KEYS = 1000;

    @TempDir
    Path dir;

    private final List<MemberSpec> members = new ArrayList<>();
    private final Process[] processes = new Process[3];

    @AfterEach
    void killAll() throws InterruptedException {
        for (Process p : processes) {
            if (p != null) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process startNode(int i) throws IOException {
        MemberSpec m = members.get(i);
        List<String> cmd = List.of(ProcessKit.java(), "-Xmx256m", "-jar", ProcessKit.jar().toString(), "node",
                "--id", m.id().value(), "--members", MemberSpec.format(members),
                "--data", dir.resolve(m.id().value()).toString());
        processes[i] = ProcessKit.start(cmd, dir, log(i));
        return processes[i];
    }

    private Path log(int i) {
        return dir.resolve(members.get(i).id() + ".log");
    }

    private URI http(int i) {
        return members.get(i).httpUri();
    }

    @Test
    void acknowledgedWritesSurviveASigkilledLeaderAndTheNodeCatchesUpAfterRestart() throws Exception {
        int[] ports = ProcessKit.freePorts(6);
        for (int i = 0; i < 3; i++) {
            members.add(new MemberSpec(NodeId.of("n" + (i + 1)), "127.0.0.1", ports[2 * i], ports[2 * i + 1]));
        }
        for (int i = 0; i < 3; i++) {
            startNode(i);
        }
        for (int i = 0; i < 3; i++) {
            ProcessKit.awaitLine(log(i), KvNode.READY, 1, processes[i]);
        }
        Map<String, String> acked = writeKeys();
        assertThat(acked.size()).as("acknowledged puts of %d on a healthy cluster", KEYS)
                .isGreaterThanOrEqualTo(KEYS * 95 / 100);

        int leader = awaitLeader(-1);
        processes[leader].destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        long killed = System.nanoTime();
        int next = awaitLeader(leader);
        System.out.printf("%d of %d puts acknowledged; killed leader %s, %s leads after %d ms%n", acked.size(), KEYS,
                members.get(leader).id(), members.get(next).id(), (System.nanoTime() - killed) / 1_000_000);
        assertThat(next).isNotEqualTo(leader);

        List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
        survivors.remove(Integer.valueOf(leader));
        readAll(acked, survivors, "");

        startNode(leader);
        ProcessKit.awaitLine(log(leader), KvNode.READY, 2, processes[leader]);
        long commit = Long.parseLong(ProcessKit.status(http(next)).getOrDefault("commitIndex", "0"));
        Await.until("restarted " + members.get(leader).id() + " to apply index " + commit, ProcessKit.WAIT,
                () -> Long.parseLong(ProcessKit.status(http(leader)).getOrDefault("appliedIndex", "-1")) >= commit);
        readAll(acked, List.of(leader), "?stale=true");
    }

    private Map<String, String> writeKeys() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                int k = i;
                done.add(pool.submit(() -> {
                    String key = "key-" + k;
                    String value = "value-" + k;
                    HttpResponse<String> r = ProcessKit.send(http(k % 3), "PUT", "/kv/" + key, value);
                    if (r != null && r.statusCode() == 200) {
                        acked.put(key, value);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return acked;
    }

    private int awaitLeader(int excluded) throws InterruptedException {
        int[] found = {-1};
        Await.until("a leader other than " + excluded, ProcessKit.WAIT, () -> {
            for (int i = 0; i < 3; i++) {
                if (i != excluded && "LEADER".equals(ProcessKit.status(http(i)).get("role"))) {
                    found[0] = i;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private void readAll(Map<String, String> acked, List<Integer> nodes, String query) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> problems = new ArrayList<>();
            int n = 0;
            for (Map.Entry<String, String> e : acked.entrySet()) {
                URI node = http(nodes.get(n++ % nodes.size()));
                problems.add(pool.submit(() -> {
                    HttpResponse<String> r = ProcessKit.send(node, "GET", "/kv/" + e.getKey() + query, null);
                    if (r == null || r.statusCode() != 200) {
                        return e.getKey() + " on " + node + ": " + (r == null ? "no answer" : r.body());
                    }
                    String value = Json.decode(r.body()).get("value");
                    return e.getValue().equals(value) ? null : e.getKey() + " = " + value + " on " + node;
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<String> f : problems) {
                String p = f.get(2, TimeUnit.MINUTES);
                if (p != null) {
                    wrong.add(p);
                }
            }
            assertThat(wrong).as("acknowledged keys missing or wrong (read%s)", query).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }
}
