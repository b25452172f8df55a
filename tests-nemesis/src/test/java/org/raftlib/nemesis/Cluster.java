package org.raftlib.nemesis;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.raftlib.NodeId;
import org.raftlib.examples.kv.KvNode;
import org.raftlib.examples.kv.MemberSpec;
import org.raftlib.examples.kv.NetLab;
import org.raftlib.examples.kv.ProcessKit;

/**
 * The cluster under test: one key-value example JVM per node, started from the packaged jar with its data and log
 * under a run directory. As root on Linux each node runs in its own network namespace on a bridge ({@link NetLab}),
 * so links can be cut; otherwise on 127.0.0.1, where only process faults are possible. Kills are SIGKILL, pauses
 * SIGSTOP/SIGCONT, restarts reuse the node's data directory.
 */
final class Cluster implements AutoCloseable {

    private static final int RAFT_PORT = 7001;
    private static final int HTTP_PORT = 8001;
    private static final Duration STATUS_TIMEOUT = Duration.ofMillis(800);

    private final Path dir;
    private final NetLab lab;
    private final List<String> jvmOptions;
    private final List<MemberSpec> members = new ArrayList<>();
    private final Process[] processes;
    private final int[] starts;
    private final boolean[] paused;
    private final boolean[] joining;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(STATUS_TIMEOUT).build();

    private Cluster(int nodes, Path dir, NetLab lab, List<String> jvmOptions) {
        this.dir = dir;
        this.lab = lab;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.processes = new Process[nodes];
        this.starts = new int[nodes];
        this.paused = new boolean[nodes];
        this.joining = new boolean[nodes];
        int[] ports = lab == null ? ProcessKit.freePorts(2 * nodes) : null;
        for (int i = 0; i < nodes; i++) {
            String host = lab == null ? "127.0.0.1" : lab.address(i);
            int raft = lab == null ? ports[2 * i] : RAFT_PORT;
            int httpPort = lab == null ? ports[2 * i + 1] : HTTP_PORT;
            members.add(new MemberSpec(NodeId.of("n" + (i + 1)), host, raft, httpPort));
        }
    }

    /**
     * Starts {@code nodes} JVMs and waits until each serves HTTP. Uses namespaces when {@code lab} is given.
     *
     * @param jvmOptions extra options for each node's JVM (system properties of the example)
     */
    static Cluster start(int nodes, Path dir, NetLab lab, List<String> jvmOptions) throws IOException,
            InterruptedException {
        Cluster c = new Cluster(nodes, dir, lab, jvmOptions);
        try {
            for (int i = 0; i < nodes; i++) {
                c.launch(i);
            }
            for (int i = 0; i < nodes; i++) {
                c.awaitReady(i);
            }
            return c;
        } catch (IOException | RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    int size() {
        return processes.length;
    }

    boolean canPartition() {
        return lab != null;
    }

    String name(int i) {
        return members.get(i).id().value();
    }

    URI http(int i) {
        return members.get(i).httpUri();
    }

    Path log(int i) {
        return dir.resolve(name(i) + ".log");
    }

    private void launch(int i) throws IOException {
        MemberSpec m = members.get(i);
        List<String> java = new ArrayList<>(List.of(ProcessKit.java(), "-Xmx256m", "-XX:+UseSerialGC"));
        java.addAll(jvmOptions);
        java.addAll(List.of("-jar", ProcessKit.jar().toString(), "node", "--id", m.id().value(), "--members",
                MemberSpec.format(members), "--data", dir.resolve(m.id().value()).toString(),
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        if (joining[i]) {
            java.add("--join");
        }
        Files.createDirectories(dir);
        Files.writeString(log(i), "=== nemesis: start " + (starts[i] + 1) + " of " + name(i) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        processes[i] = ProcessKit.start(lab == null ? java : lab.inNamespace(i, java), dir, log(i));
        starts[i]++;
    }

    private void awaitReady(int i) throws IOException, InterruptedException {
        ProcessKit.awaitLine(log(i), KvNode.READY, starts[i], processes[i]);
    }

    /** SIGKILL, then waits for the process to be gone. */
    void kill(int i) throws InterruptedException {
        Process p = processes[i];
        if (p != null && p.isAlive()) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        paused[i] = false;
    }

    boolean alive(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** Starts a killed node again on its data directory and waits until it serves HTTP. */
    void restart(int i) throws IOException, InterruptedException {
        if (alive(i)) {
            return;
        }
        launch(i);
        awaitReady(i);
    }

    /**
     * Replaces node {@code i} by a new member of the same name: kills it, wipes its data and starts it in join
     * mode (as the example's README replaces a member), where it stays, restarts included, until
     * {@link #joined} says it was added. Call only once it is no longer a member.
     */
    void rejoin(int i) throws IOException, InterruptedException {
        kill(i);
        Path data = dir.resolve(name(i));
        if (Files.exists(data)) {
            try (var paths = Files.walk(data)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        joining[i] = true;
        launch(i);
        awaitReady(i);
    }

    /** Node {@code i} is a voter again: later restarts are normal ones. */
    void joined(int i) {
        joining[i] = false;
    }

    /** The body of a {@code POST /members/voters} that adds node {@code i} back. */
    String memberJson(int i) {
        MemberSpec m = members.get(i);
        return "{\"id\":" + KvClient.quote(name(i)) + ",\"address\":" + KvClient.quote(m.host() + ":" + m.raftPort())
                + ",\"httpAddress\":" + KvClient.quote(m.httpUri().toString()) + "}";
    }

    /** Sends an administrative request to node {@code i}; returns the status code, 0 if no answer came. */
    int request(int i, String method, String path, String body, Duration timeout) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(http(i) + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** True if node {@code i} is neither killed nor paused. */
    boolean up(int i) {
        return alive(i) && !paused[i];
    }

    void pause(int i) throws IOException {
        signal(i, "-STOP");
        paused[i] = true;
    }

    void resume(int i) throws IOException {
        if (paused[i]) {
            signal(i, "-CONT");
            paused[i] = false;
        }
    }

    private void signal(int i, String signal) throws IOException {
        if (alive(i)) {
            NetLab.run("kill", signal, Long.toString(javaPid(i)));
        }
    }

    /** The node's JVM: the started process, or the java it runs under {@code ip netns exec}. */
    private long javaPid(int i) {
        ProcessHandle h = processes[i].toHandle();
        return h.descendants().filter(d -> d.info().command().map(c -> c.endsWith("java")).orElse(false))
                .map(ProcessHandle::pid).findFirst().orElse(h.pid());
    }

    /** Drops every packet from node {@code from} to node {@code to} (namespaces only). */
    void cut(int from, int to) throws IOException {
        lab.drop(from, to);
    }

    /** Cuts both directions between each node of {@code a} and each of {@code b}. */
    void cutBetween(List<Integer> a, List<Integer> b) throws IOException {
        for (int x : a) {
            for (int y : b) {
                cut(x, y);
                cut(y, x);
            }
        }
    }

    /** Heals every cut, resumes every paused node, restarts every dead one. */
    void healAll() throws IOException, InterruptedException {
        if (lab != null) {
            lab.healAll();
        }
        for (int i = 0; i < size(); i++) {
            resume(i);
        }
        for (int i = 0; i < size(); i++) {
            restart(i);
        }
    }

    /** Node {@code i}'s {@code /status}, or an empty map if it does not answer quickly. */
    Map<String, String> status(int i) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(http(i) + "/status")).timeout(STATUS_TIMEOUT).GET().build();
        try {
            HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
            return resp.statusCode() == 200 ? FlatJson.parse(resp.body()) : Map.of();
        } catch (IOException | IllegalArgumentException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** A node that says it leads, and its term; node -1 when none does. */
    record Leader(int node, long term) {
    }

    /** The running, unpaused node that says it leads with the highest term, or node -1. */
    Leader leader() {
        Leader found = new Leader(-1, -1);
        for (int i = 0; i < size(); i++) {
            if (paused[i] || !alive(i)) {
                continue;
            }
            Map<String, String> s = status(i);
            long term = Long.parseLong(s.getOrDefault("term", "-1"));
            if ("LEADER".equals(s.get("role")) && term > found.term()) {
                found = new Leader(i, term);
            }
        }
        return found;
    }

    /** Stops every node (resuming paused ones first, so they can die) and removes the network. */
    @Override
    public void close() throws IOException {
        try {
            for (int i = 0; i < size(); i++) {
                resume(i);
                kill(i);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }
}
