package org.raftlib.admin;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.raftlib.Member;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.Ports;
import org.raftlib.testkit.SnapshotStateMachine;
import org.raftlib.transport.netty.AdminOptions;
import org.raftlib.transport.netty.AdminServer;
import org.raftlib.transport.netty.NettyTransport;
import org.raftlib.transport.netty.NettyTransportOptions;
import org.raftlib.transport.netty.TestPki;
import org.raftlib.transport.netty.TlsConfig;

/**
 * Nodes with Netty transports over mutual TLS (certificates from the transport tests' {@link TestPki}), each with
 * its admin endpoint on a port of its own, and an admin certificate ({@code urn:raftlib:admin:alice}).
 */
final class AdminTestCluster implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    final TestPki pki;
    final TestPki.Issued admin;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Map<String, RaftNode> nodes = new LinkedHashMap<>();
    final Map<String, AdminServer> admins = new LinkedHashMap<>();
    private final TlsSource tls;

    /** The TLS configuration of a node, for its transport and its admin endpoint. */
    interface TlsSource {
        TlsConfig of(String nodeId) throws Exception;
    }

    private AdminTestCluster(TlsSource tls) throws Exception {
        pki = new TestPki();
        admin = pki.issue("CN=alice", TestPki.uri("urn:raftlib:admin:alice"));
        this.tls = tls != null ? tls : id -> pki.tls(pki.node(id));
    }

    /** Starts n1 .. n{@code size} with certificates of {@link #pki}, and waits for a leader. */
    static AdminTestCluster start(int size) throws Exception {
        return start(size, null);
    }

    /**
     * Starts n1 .. n{@code size}, each with its admin endpoint, and waits for a leader.
     *
     * @param tls each node's TLS configuration; null for certificates of {@link #pki}
     */
    static AdminTestCluster start(int size, TlsSource tls) throws Exception {
        AdminTestCluster c = new AdminTestCluster(tls);
        try {
            for (int i = 1; i <= size; i++) {
                c.members.put("n" + i, member("n" + i));
            }
            for (String id : List.copyOf(c.members.keySet())) {
                c.startNode(id, List.copyOf(c.members.values()), false);
            }
            c.awaitLeader();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    static Member member(String id) {
        return Member.of(id, "127.0.0.1:" + Ports.freeLoopbackPort());
    }

    /** Starts node {@code id} (at its address in {@code all}) and its admin endpoint on a free port. */
    RaftNode startNode(String id, List<Member> all, boolean join) throws Exception {
        TlsConfig nodeTls = tls.of(id);
        NettyTransport transport = NettyTransport.builder().clusterId("admin-test").tls(nodeTls)
                .options(NettyTransportOptions.defaults().withReconnectBackoff(Duration.ofMillis(5),
                        Duration.ofMillis(100)))
                .build();
        RaftNode node = RaftNode.builder().id(id).members(all).join(join).stateMachine(new SnapshotStateMachine())
                .logStorage(new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore()).transport(transport)
                .options(RaftOptions.defaults().withTickInterval(Duration.ofMillis(10))
                        .withElectionTimeout(Duration.ofMillis(300)).withHeartbeatInterval(Duration.ofMillis(30)))
                .build();
        nodes.put(id, node);
        node.start();
        admins.put(id, AdminServer.start(node, AdminOptions.of("127.0.0.1:0", nodeTls)));
        return node;
    }

    /** Returns the admin endpoint of {@code id}. */
    String endpoint(String id) {
        return "127.0.0.1:" + admins.get(id).localAddress().getPort();
    }

    /** Returns every admin endpoint, comma-separated. */
    String endpoints() {
        return String.join(",", admins.keySet().stream().map(this::endpoint).toList());
    }

    /** Waits until exactly one node leads, and returns its id. */
    String awaitLeader() {
        Await.until("one leader", WAIT, () -> nodes.values().stream().filter(n -> n.status().isLeader()).count() == 1);
        return nodes.entrySet().stream().filter(e -> e.getValue().status().isLeader()).findFirst().orElseThrow()
                .getKey();
    }

    /** Returns the admin's client configuration. */
    TlsConfig adminTls() throws Exception {
        return pki.tls(admin);
    }

    /** Writes {@code issued}'s certificate and key as {@code name.crt} and {@code name.key}, and the CA, in PEM. */
    void writePem(Path dir, String name, TestPki.Issued issued) throws Exception {
        writeCertificate(dir.resolve(name + ".crt"), issued.cert());
        Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", issued.key().getEncoded()));
        writeCertificate(dir.resolve("ca.crt"), pki.ca());
    }

    private static void writeCertificate(Path file, X509Certificate cert) throws Exception {
        Files.writeString(file, pem("CERTIFICATE", cert.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(admins.values());
        all.addAll(nodes.values());
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                // Documented ignore path: closing in a test's cleanup; the next one is closed regardless.
            }
        }
    }
}
