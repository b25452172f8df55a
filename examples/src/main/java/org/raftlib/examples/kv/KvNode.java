package org.raftlib.examples.kv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.RaftOptions;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;
import org.raftlib.storage.StorageException;
import org.raftlib.transport.netty.NettyTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs one key-value node: a {@link RaftNode} over {@link NettyTransport} and {@link FileLogStorage} with a
 * {@link KvStateMachine}, and its {@link KvServer}.
 *
 * <pre>
 * java -jar raftlib-kv.jar node --id n1 --data data/n1 \
 *     --members n1=127.0.0.1:7001@8001,n2=127.0.0.1:7002@8002,n3=127.0.0.1:7003@8003
 * </pre>
 *
 * <p>Each member is {@code ID=HOST:RAFT_PORT@HTTP_PORT} (see {@link MemberSpec}). When ready it prints one line
 * starting with {@link #READY}; SIGTERM (or Ctrl-C) closes it cleanly. With {@code --parent-pid PID} it also stops
 * when that process ends, so a launcher that is killed leaves no nodes behind.
 *
 * <p>With {@code --join} the node joins a running cluster ({@link RaftNodeBuilder#join(boolean)}): start it on an
 * empty data directory with {@code --members} listing the cluster's current members and itself, then add it on the
 * cluster ({@code add-learner} or {@code add-voter}); until then it serves HTTP but never campaigns.
 */
public final class KvNode implements AutoCloseable {

    /** The start of the line printed once the node serves HTTP. */
    public static final String READY = "KvNode ready:";
    /** The Raft cluster id the example's transports use. */
    public static final String CLUSTER_ID = "raftlib-kv";
    /**
     * Entries kept before a snapshot's index when the log is compacted: few, so that the quick start can show a
     * wiped node re-synced by snapshot after a couple of hundred writes (the library's default is 10,000).
     */
    static final long SNAPSHOT_KEEP_ENTRIES = 100;
    /**
     * Test only (the fault suite sets it so that snapshots are taken and installed during faults): entries between
     * snapshots instead of the library's default. Unset in normal use.
     */
    static final long SNAPSHOT_EVERY_ENTRIES = Long.getLong("raftlib.kv.test.snapshotEveryEntries",
            RaftOptions.DEFAULT_SNAPSHOT_EVERY_ENTRIES);

    private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);

    private final RaftNode node;
    private final KvServer server;

    private KvNode(RaftNode node, KvServer server) {
        this.node = node;
        this.server = server;
    }

    /**
     * Starts a node and its HTTP server.
     *
     * @param id this node's id; must be among {@code members}
     * @param members every member of the cluster
     * @param dataDir the directory of this node's log (created if missing)
     * @return the running node
     * @throws IOException if the log cannot be opened or a port cannot be bound
     * @throws IllegalArgumentException if {@code id} is not a member
     */
    public static KvNode start(NodeId id, List<MemberSpec> members, Path dataDir) throws IOException {
        return start(id, members, dataDir, false);
    }

    /** {@code t} and its causes, so the one-line exit names the root (a full disk, not only "storage failed"). */
    static String rootCauses(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" <- ").append(c);
        }
        return b.toString();
    }

    /**
     * Starts a node and its HTTP server, joining a running cluster if {@code join}.
     *
     * @param id this node's id; must be among {@code members}
     * @param members every member of the cluster; when joining, its current members and this node
     * @param dataDir the directory of this node's log (created if missing); empty when joining
     * @param join whether the node joins a running cluster ({@link RaftNodeBuilder#join(boolean)})
     * @return the running node
     * @throws IOException if the log cannot be opened or a port cannot be bound
     * @throws IllegalArgumentException if {@code id} is not a member
     */
    public static KvNode start(NodeId id, List<MemberSpec> members, Path dataDir, boolean join) throws IOException {
        Objects.requireNonNull(id, "id");
        MemberSpec self = members.stream().filter(m -> m.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(id + " is not among the members " + members));
        Files.createDirectories(dataDir);
        Map<NodeId, URI> http = new LinkedHashMap<>();
        members.forEach(m -> http.put(m.id(), m.httpUri()));
        List<Member> raftMembers = members.stream().map(MemberSpec::member).toList();
        KvStateMachine machine = new KvStateMachine();
        NettyTransport transport = NettyTransport.builder().clusterId(CLUSTER_ID).build();
        MetricsEndpoint metrics = MetricsEndpoint.create(id, transport::metrics);
        RaftNode node = RaftNode.builder().id(id).members(raftMembers).join(join).stateMachine(machine)
                .logStorage(FileLogStorage.open(dataDir))
                .snapshotStore(FileSnapshotStore.open(dataDir.resolve("snapshots")))
                .transport(transport).metrics(metrics.raftMetrics())
                .options(RaftOptions.defaults().withSnapshotPolicy(SNAPSHOT_EVERY_ENTRIES,
                        RaftOptions.DEFAULT_SNAPSHOT_EVERY_BYTES, SNAPSHOT_KEEP_ENTRIES))
                .build();
        metrics.bind(node);
        node.addListener(new KvEventLog(id));
        node.addListener(new RaftListener() {
            @Override
            public void onFailure(Throwable cause) {
                LOG.error("{} failed, exiting: {}", id, rootCauses(cause));
                new Thread(() -> System.exit(1), "kv-exit").start();
            }
        });
        try {
            node.start();
            KvServer server = KvServer.start(node, new InetSocketAddress(self.host(), self.httpPort()), http,
                    machine, KvServer.DEFAULT_REQUEST_TIMEOUT);
            server.serve("/metrics", metrics);
            return new KvNode(node, server);
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /**
     * Returns the HTTP base address.
     *
     * @return the address, such as {@code http://127.0.0.1:8001}
     */
    public URI httpUri() {
        return server.uri();
    }

    /**
     * Returns the Raft node.
     *
     * @return the node
     */
    public RaftNode raftNode() {
        return node;
    }

    /** Stops the HTTP server, then the Raft node. */
    @Override
    public void close() {
        server.close();
        node.close();
    }

    /**
     * Runs a node until SIGTERM: the same as {@code raftlib-kv.jar node ARGS}.
     *
     * @param args the arguments; see the class comment
     */
    public static void main(String[] args) {
        Main.main(Main.prepend("node", args));
    }

    /** {@code node}: runs one node in the foreground until SIGTERM; see the class comment. */
    @Command(name = "node", sortOptions = false,
            description = "Runs one node in the foreground until SIGTERM or Ctrl-C.")
    static final class Run implements Callable<Integer> {

        @Mixin
        KvCli.Help help;

        @Option(names = "--id", required = true, paramLabel = "ID", description = "this node's id, one of --members")
        String id;

        @Option(names = "--members", required = true, paramLabel = "ID=HOST:RAFT_PORT@HTTP_PORT,...",
                description = "every member (and, with --join, this node)")
        String members;

        @Option(names = "--data", required = true, paramLabel = "DIR", description = "this node's data directory")
        Path data;

        @Option(names = "--join", description = "join a running cluster: never campaign until added to it")
        boolean join;

        @Option(names = "--parent-pid", paramLabel = "PID", description = "also stop when this process ends")
        Long parentPid;

        @Override
        public Integer call() throws Exception {
            List<MemberSpec> specs = MemberSpec.parseList(members);
            NodeId self = NodeId.of(id);
            Path dir = data.toAbsolutePath();
            KvNode kv;
            try {
                kv = start(self, specs, dir, join);
            } catch (IOException e) {
                System.err.println(self + " cannot start: " + startProblem(e));
                System.err.println(startAdvice(e, self, dir));
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("{} stopping", self);
                kv.close();
                stopped.countDown();
            }, "kv-shutdown"));
            watchParent(Optional.ofNullable(parentPid));
            MemberSpec me = specs.stream().filter(m -> m.id().equals(self)).findFirst().orElseThrow();
            System.out.println(READY + " " + self + " http " + kv.httpUri() + " raft " + me.member().address()
                    + " data " + dir + " pid " + ProcessHandle.current().pid()
                    + (join ? " (started with --join)" : ""));
            System.out.flush();
            stopped.await();
            return 0;
        }
    }

    /**
     * What went wrong, in words: a file system exception's message is often just the path (an outside probe read
     * "n1 cannot start: /data/n1" for a data directory that was a regular file).
     */
    static String startProblem(IOException e) {
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " exists and is not a directory";
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof FileSystemException f && f.getReason() == null) {
            return f.getClass().getSimpleName() + ": " + f.getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * What to do about a failed start: replacing the member (which wipes its directory) only for damaged data; a
     * directory that cannot be used (read-only, locked, another node's) holds intact data and is fixed where it is.
     */
    static String startAdvice(IOException e, NodeId self, Path dir) {
        if (e instanceof StorageException s && s.isDamage()) {
            return "If " + dir + " is lost or corrupt, replace the member (examples/README.md, \"Replacing a member"
                    + " whose disk is lost or corrupt\"): remove " + self + " from the cluster, wipe " + dir + " and"
                    + " start it again with --join, then add it as a learner and promote it.";
        }
        return "The data in " + dir + " was left as it was: fix the cause above and start " + self + " again (do not"
                + " wipe the directory: that would lose its log and its vote).";
    }

    private static void watchParent(Optional<Long> parentPid) {
        parentPid.ifPresent(p -> {
            Optional<ProcessHandle> parent = ProcessHandle.of(p);
            if (parent.isEmpty()) {
                LOG.warn("parent process {} is gone, exiting", p);
                System.exit(0);
            }
            parent.get().onExit().thenRun(() -> {
                LOG.warn("parent process {} ended, exiting", p);
                System.exit(0);
            });
        });
    }
}
