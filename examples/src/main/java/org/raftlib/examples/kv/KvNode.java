package org.raftlib.examples.kv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.storage.FileSnapshotStore;
import org.raftlib.storage.StorageException;
import org.raftlib.transport.netty.NettyTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>With {@code --join} the node joins a running cluster ({@link RaftNode.Builder#join(boolean)}): start it on an
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

    private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);
    private static final String USAGE = "usage: node --id ID --members ID=HOST:RAFT_PORT@HTTP_PORT,... --data DIR"
            + " [--join] [--parent-pid PID]";

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

    /**
     * Starts a node and its HTTP server, joining a running cluster if {@code join}.
     *
     * @param id this node's id; must be among {@code members}
     * @param members every member of the cluster; when joining, its current members and this node
     * @param dataDir the directory of this node's log (created if missing); empty when joining
     * @param join whether the node joins a running cluster ({@link RaftNode.Builder#join(boolean)})
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
        RaftNode node = RaftNode.builder().id(id).members(raftMembers).join(join).stateMachine(machine)
                .logStorage(FileLogStorage.open(dataDir))
                .snapshotStore(FileSnapshotStore.open(dataDir.resolve("snapshots")))
                .transport(NettyTransport.builder().clusterId(CLUSTER_ID).build())
                .options(RaftOptions.defaults().withSnapshotPolicy(RaftOptions.DEFAULT_SNAPSHOT_EVERY_ENTRIES,
                        RaftOptions.DEFAULT_SNAPSHOT_EVERY_BYTES, SNAPSHOT_KEEP_ENTRIES))
                .build();
        node.addListener(new RaftListener() {
            @Override
            public void onFailure(Throwable cause) {
                LOG.error("{} failed, exiting: {}", id, cause.toString());
                new Thread(() -> System.exit(1), "kv-exit").start();
            }
        });
        try {
            node.start();
            KvServer server = KvServer.start(node, new InetSocketAddress(self.host(), self.httpPort()), http,
                    machine, KvServer.DEFAULT_REQUEST_TIMEOUT);
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
     * Runs a node until SIGTERM; see the class comment for the arguments.
     *
     * @param args the arguments
     * @throws Exception if the node cannot start
     */
    public static void main(String[] args) throws Exception {
        Args a;
        List<MemberSpec> members;
        try {
            a = Args.parse(args, Set.of("id", "members", "data", "parent-pid"), Set.of("join"));
            members = MemberSpec.parseList(a.required("members"));
            a.required("id");
            a.required("data");
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        NodeId id = NodeId.of(a.required("id"));
        Path data = Path.of(a.required("data")).toAbsolutePath();
        KvNode kv;
        try {
            kv = start(id, members, data, a.flag("join"));
        } catch (IOException e) {
            System.err.println(id + " cannot start: " + e.getMessage());
            if (e instanceof StorageException) {
                System.err.println("If " + data + " is lost or corrupt, replace the member (examples/README.md,"
                        + " \"Replacing a member whose disk is lost or corrupt\"): remove " + id + " from the"
                        + " cluster, wipe " + data + " and start it again with --join, then add it as a learner and"
                        + " promote it.");
            }
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("{} stopping", id);
            kv.close();
            stopped.countDown();
        }, "kv-shutdown"));
        watchParent(a.option("parent-pid"));
        MemberSpec self = members.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
        System.out.println(READY + " " + id + " http " + kv.httpUri() + " raft " + self.member().address()
                + " data " + data + " pid " + ProcessHandle.current().pid() + (a.flag("join") ? " joining" : ""));
        System.out.flush();
        stopped.await();
    }

    private static void watchParent(Optional<String> parentPid) {
        parentPid.ifPresent(p -> {
            Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(p));
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
