package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.raftlib.NodeId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Starts a local key-value cluster: one {@link KvNode} JVM per member on 127.0.0.1, and stays in the foreground
 * until Ctrl-C, which stops them.
 *
 * <pre>
 * java -jar raftlib-kv.jar cluster [--nodes 3] [--extra 0] [--base-port 7001] [--data DIR]
 * </pre>
 *
 * <p>Node {@code i} (from 1) uses Raft port {@code base + i - 1} and HTTP port {@code base + 1000 + i - 1}, so the
 * defaults are 7001-7003 and 8001-8003; {@code --base-port 0} picks free ports instead. {@code --extra N} starts
 * N more nodes after those (n4, n5, ... by default on 7004/8004, ...) in join mode ({@code node --join}): they run
 * but are not members until added with {@code add-voter} or {@code add-learner}, which the launcher prints. Data
 * and one log file per node go under {@code --data} (default: a new temporary directory), which it prints along with
 * every node's HTTP address, PID and example commands. When it prints a line starting with {@link #READY} every
 * node serves HTTP.
 *
 * <p>The launcher also serves the live {@link WebView} on HTTP port {@code base + 999} (8000 by default; a free port
 * with {@code --base-port 0}) at {@code /ui}, the one page with stop and restart buttons: it stops a node's process
 * (SIGTERM) and starts it again on its data directory.
 */
public final class KvCluster {

    /** The start of the line printed once every node is ready. */
    public static final String READY = "raftlib KV cluster ready:";
    /** The default first Raft port. */
    public static final int DEFAULT_BASE_PORT = 7001;
    /** The default number of nodes. */
    public static final int DEFAULT_NODES = 3;
    /** How far above the Raft port each node's HTTP port is. */
    public static final int HTTP_OFFSET = 1000;

    private static final long READY_TIMEOUT_SECONDS = 60;

    private final List<MemberSpec> members;
    private final int initial;
    private final Path dataDir;
    private final List<Process> processes = new ArrayList<>();
    private final int webPort;
    private final Set<NodeId> stoppedFromWeb = ConcurrentHashMap.newKeySet();
    private volatile HttpServer web;
    private volatile ExecutorService webThreads;
    private volatile boolean stopping;

    /**
     * {@code members}: the first {@code initial} form the cluster, the others join it; {@code webPort}: where the web
     * view is served (0: a free port, negative: not served).
     */
    KvCluster(List<MemberSpec> members, int initial, Path dataDir, int webPort) {
        this.members = members;
        this.initial = initial;
        this.dataDir = dataDir;
        this.webPort = webPort;
    }

    /** Returns the default nodes' HTTP addresses, comma-separated, as {@link KvCli} tries them. */
    static String defaultHttpAddresses() {
        return IntStream.range(0, DEFAULT_NODES)
                .mapToObj(i -> "http://127.0.0.1:" + (DEFAULT_BASE_PORT + HTTP_OFFSET + i))
                .collect(Collectors.joining(","));
    }

    /**
     * Runs the cluster until Ctrl-C: the same as {@code raftlib-kv.jar cluster ARGS}.
     *
     * @param args the arguments; see the class comment
     */
    public static void main(String[] args) {
        Main.main(Main.prepend("cluster", args));
    }

    /** {@code cluster}: starts a local cluster and stays in the foreground; see the class comment. */
    @Command(name = "cluster", sortOptions = false,
            description = "Starts a local cluster, one JVM per node on 127.0.0.1, until Ctrl-C.")
    static final class Run implements Callable<Integer> {

        @Mixin
        KvCli.Help help;

        @Option(names = "--nodes", paramLabel = "N", description = "members, 1 to 9 (default: ${DEFAULT-VALUE})")
        int nodes = DEFAULT_NODES;

        @Option(names = "--extra", paramLabel = "N",
                description = "more nodes started in join mode, not members until added (default: ${DEFAULT-VALUE})")
        int extra;

        @Option(names = "--base-port", paramLabel = "PORT",
                description = "first Raft port; HTTP ports are 1000 higher; 0 picks free ports"
                        + " (default: ${DEFAULT-VALUE})")
        int basePort = DEFAULT_BASE_PORT;

        @Option(names = "--data", paramLabel = "DIR",
                description = "data and logs (default: a new temporary directory)")
        Path data;

        @Override
        public Integer call() throws Exception {
            if (nodes < 1 || extra < 0 || nodes + extra > 9 || basePort < 0
                    || basePort > 65535 - HTTP_OFFSET - nodes - extra) {
                throw new IllegalArgumentException("--nodes must be 1 to 9, --extra 0 to 9 - nodes, and --base-port 0"
                        + " to " + (65535 - HTTP_OFFSET - nodes - extra));
            }
            Path dir = data == null ? Files.createTempDirectory("raftlib-kv-") : Files.createDirectories(data);
            KvCluster cluster = new KvCluster(members(nodes + extra, basePort), nodes, dir.toAbsolutePath(),
                    basePort == 0 ? 0 : basePort + HTTP_OFFSET - 1);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cluster.stop();
                stopped.countDown();
            }, "kv-cluster-shutdown"));
            if (!cluster.start(basePort == DEFAULT_BASE_PORT)) {
                return 1;
            }
            stopped.await();
            return 0;
        }
    }

    static List<MemberSpec> members(int n, int basePort) {
        int[] free = basePort == 0 ? freePorts(2 * n) : null;
        List<MemberSpec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int raft = basePort == 0 ? free[2 * i] : basePort + i;
            int http = basePort == 0 ? free[2 * i + 1] : basePort + HTTP_OFFSET + i;
            out.add(new MemberSpec(NodeId.of("n" + (i + 1)), "127.0.0.1", raft, http));
        }
        return out;
    }

    /** Returns {@code n} distinct free ports: all are held open until all are found, so none repeats. */
    static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a probe socket that never accepted anything; nothing to do
                }
            }
        }
    }

    boolean start(boolean defaultPorts) throws IOException, InterruptedException {
        System.out.println("Starting " + members.size() + " nodes" + (members.size() > initial ? " (" + initial
                + " members, " + (members.size() - initial) + " in join mode)" : "") + "; data and logs in " + dataDir);
        for (MemberSpec m : members) {
            processes.add(launch(m));
        }
        for (int i = 0; i < members.size(); i++) {
            if (!awaitReady(members.get(i), processes.get(i))) {
                return false;
            }
        }
        for (int i = 0; i < members.size(); i++) {
            watch(members.get(i), processes.get(i));
        }
        startWebView();
        printGuide(defaultPorts);
        return true;
    }

    private void watch(MemberSpec m, Process p) {
        p.onExit().thenRun(() -> {
            if (!stopping && !stoppedFromWeb.contains(m.id())) {
                System.out.println(m.id() + " (pid " + p.pid() + ") exited with code " + p.exitValue()
                        + "; restart it with: " + String.join(" ", nodeCommand(m)));
            }
        });
    }

    private Process launch(MemberSpec m) throws IOException {
        Files.deleteIfExists(dataDir.resolve(m.id() + ".log"));
        return relaunch(m);
    }

    /** Starts the node's process, its output appended to its log. */
    private Process relaunch(MemberSpec m) throws IOException {
        Path log = dataDir.resolve(m.id() + ".log");
        return new ProcessBuilder(nodeCommand(m)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Serves the web view with stop and restart; a port that is taken only costs the web view. */
    private void startWebView() {
        if (webPort < 0) {
            return;
        }
        try {
            web = HttpServer.create(new InetSocketAddress("127.0.0.1", webPort), 16);
        } catch (IOException e) {
            System.out.println("The web view is off: cannot listen on 127.0.0.1:" + webPort + " (" + e + ")");
            return;
        }
        Map<NodeId, URI> http = new LinkedHashMap<>();
        members.forEach(m -> http.put(m.id(), m.httpUri()));
        webThreads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "kv-cluster-web");
            t.setDaemon(true);
            return t;
        });
        web.setExecutor(webThreads);
        web.createContext("/ui", WebView.forCluster(() -> http, new Control())::handle);
        web.start();
    }

    /**
     * Returns the web view's address.
     *
     * @return such as {@code http://127.0.0.1:8000/ui}, or empty if it is not served
     */
    Optional<URI> webUri() {
        return Optional.ofNullable(web).map(w -> URI.create("http://127.0.0.1:" + w.getAddress().getPort() + "/ui"));
    }

    /** Stop and restart of the launched node processes, for the web view. */
    private final class Control implements WebView.NodeControl {

        @Override
        public String stop(NodeId id) throws InterruptedException {
            synchronized (KvCluster.this) {
                int i = indexOf(id);
                Process p = processes.get(i);
                if (!p.isAlive()) {
                    return id + " is not running";
                }
                stoppedFromWeb.add(id);
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
                System.out.println(id + " (pid " + p.pid() + ") stopped from the web view");
                return id + " stopped";
            }
        }

        @Override
        public String restart(NodeId id) throws IOException {
            synchronized (KvCluster.this) {
                int i = indexOf(id);
                if (processes.get(i).isAlive()) {
                    throw new IllegalArgumentException(id + " is running; stop it first");
                }
                if (stopping) {
                    throw new IllegalArgumentException("the cluster is stopping");
                }
                MemberSpec m = members.get(i);
                Process p = relaunch(m);
                processes.set(i, p);
                stoppedFromWeb.remove(id);
                watch(m, p);
                System.out.println(id + " restarted from the web view: pid " + p.pid());
                return id + " restarting (pid " + p.pid() + ")";
            }
        }

        private int indexOf(NodeId id) {
            for (int i = 0; i < members.size(); i++) {
                if (members.get(i).id().equals(id)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("no node " + id + " in this cluster");
        }
    }

    private List<String> nodeCommand(MemberSpec m) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+ExitOnOutOfMemoryError");     // a JVM out of memory may have lost any thread: restart it
        cmd.add("-cp");
        cmd.add(Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator)));
        cmd.add(Main.class.getName());
        boolean joins = members.indexOf(m) >= initial;
        List<MemberSpec> known = new ArrayList<>(members.subList(0, initial));
        if (joins) {
            known.add(m);
        }
        cmd.addAll(List.of("node", "--id", m.id().value(), "--members", MemberSpec.format(known),
                "--data", dataDir.resolve(m.id().value()).toString(),
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        if (joins) {
            cmd.add("--join");
        }
        return cmd;
    }

    private boolean awaitReady(MemberSpec m, Process p) throws IOException, InterruptedException {
        Path log = dataDir.resolve(m.id() + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(KvNode.READY)) {
                return true;
            }
            if (p.waitFor(50, TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        System.err.println(m.id() + " did not become ready" + (p.isAlive() ? "" : " (exit code " + p.exitValue()
                + ")") + "; its log " + log + " ends with:");
        List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(System.err::println);
        return false;
    }

    private void printGuide(boolean defaultPorts) {
        String cli = "java -jar " + jarPath();
        String node = defaultPorts ? "" : " --node " + members.stream().map(m -> m.httpUri().toString())
                .collect(Collectors.joining(","));
        StringBuilder b = new StringBuilder();
        b.append(READY).append(' ').append(members.size()).append(" nodes, data and logs in ").append(dataDir)
                .append('\n');
        for (int i = 0; i < members.size(); i++) {
            MemberSpec m = members.get(i);
            b.append(String.format("  %-3s pid %-8d http %-24s raft %-16s log %s%s%n", m.id(), processes.get(i).pid(),
                    m.httpUri(), m.member().address(), dataDir.resolve(m.id() + ".log"),
                    i >= initial ? "  (join mode: not a member yet)" : ""));
        }
        webUri().ifPresent(u -> b.append("Web view (live state, write, leadership transfer, stop/restart): ").append(u)
                .append('\n'));
        b.append("Try, in another terminal:\n")
                .append("  ").append(cli).append(" put greeting hello").append(node).append('\n')
                .append("  ").append(cli).append(" get greeting").append(node).append('\n')
                .append("  ").append(cli).append(" status").append(node).append('\n')
                .append("  kill -9 <pid of the leader>        (status shows which node leads; the others elect"
                        + " a new leader)\n");
        for (MemberSpec m : members.subList(initial, members.size())) {
            b.append("  ").append(cli).append(" add-voter ").append(m.id()).append(' ').append(m.member().address())
                    .append('@').append(m.httpPort()).append(node).append("   (").append(m.id())
                    .append(" joins as a learner and votes once caught up)\n");
        }
        b
                .append("Press Ctrl-C to stop the cluster.");
        System.out.println(b);
        System.out.flush();
    }

    private static String jarPath() {
        try {
            Path jar = Path.of(KvCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path cwd = Path.of("").toAbsolutePath();
            return (jar.startsWith(cwd) ? cwd.relativize(jar) : jar).toString().replace(File.separatorChar, '/');
        } catch (URISyntaxException | RuntimeException e) {
            return "raftlib-kv.jar";
        }
    }

    void stop() {
        stopping = true;
        if (web != null) {
            web.stop(0);
            webThreads.shutdownNow();
        }
        List<Process> all;
        synchronized (this) {
            all = new ArrayList<>(processes);
        }
        all.forEach(Process::destroy);
        for (Process p : all) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        System.out.println("Stopped " + all.size() + " nodes; data kept in " + dataDir);
    }
}
