package org.raftlib.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.RaftStatus;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.Ports;
import org.raftlib.transport.netty.AdminClient;
import org.raftlib.transport.netty.AdminException;
import org.raftlib.transport.netty.AdminException.Code;
import org.raftlib.transport.netty.AdminOptions;
import org.raftlib.transport.netty.AdminServer;
import org.raftlib.transport.netty.TestPki;
import org.raftlib.transport.netty.TlsConfig;

/**
 * The admin endpoint of a 3-node mutual-TLS cluster: off unless started, only admin certificates accepted, every
 * operation, and hostile bytes that close the connection without touching the node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminServerTest {

    private AdminTestCluster c;
    private AdminClient admin;

    @BeforeAll
    void startCluster() throws Exception {
        c = AdminTestCluster.start(3);
        admin = AdminClient.create(c.adminTls());
    }

    @AfterAll
    void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (c != null) {
            c.close();
        }
    }

    @Test
    void nothingAnswersAdminRequestsUnlessTheApplicationStartsTheEndpoint() throws Exception {
        String raftPort = c.members.get("n1").address();         // the transport's port serves Raft peers only
        assertThatThrownBy(() -> admin.status(raftPort)).isInstanceOf(AdminException.class)
                .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(Code.CONNECTION));
        int unused = Ports.freeLoopbackPort();
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", unused), 2000))
                .isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> admin.status("127.0.0.1:" + unused)).isInstanceOf(AdminException.class)
                .hasMessageContaining("cannot connect");
        assertThatThrownBy(() -> admin.status("no-such-host.invalid:7001")).isInstanceOf(AdminException.class)
                .hasMessageContaining("cannot connect to no-such-host.invalid:7001: unknown host");
        assertThat(c.nodes.get("n1").status().state()).isEqualTo(NodeState.RUNNING);
    }

    /**
     * Something other than an admin endpoint is named in plain words: a server that closes at once read "failed:
     * null", an HTTP server a 1.5 KB hex dump of its page (outside probe).
     */
    /**
     * A node that accepts the connection but never answers (stopped with SIGSTOP, its kernel still accepting) is
     * reported after the client's own timeout, as no answer: it read "TLS handshake timed out" after Netty's 10 s,
     * whatever the timeout (operability probe).
     */
    @Test
    void aNodeThatAcceptsButNeverAnswersTimesOutAfterTheClientsTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                AdminClient quick = AdminClient.create(c.adminTls(), Duration.ofMillis(1500))) {
            String endpoint = "127.0.0.1:" + silent.getLocalPort();
            long start = System.nanoTime();
            assertThatThrownBy(() -> quick.status(endpoint)).isInstanceOf(AdminException.class)
                    .hasMessage("no answer from " + endpoint + " within 1.5 s (the node may be stopped, paused or"
                            + " overloaded)")
                    .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(Code.TIMEOUT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        }
    }

    @Test
    void aServerThatIsNotAnAdminEndpointIsDescribedInWords() throws Exception {
        for (byte[] answer : List.of(new byte[0], "<!DOCTYPE HTML>\n<html>hello</html>\n".getBytes(UTF_8))) {
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                Thread t = new Thread(() -> {
                    try (Socket s = server.accept()) {
                        s.getOutputStream().write(answer);
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        // the client went away first
                    }
                });
                t.start();
                String endpoint = "127.0.0.1:" + server.getLocalPort();
                assertThatThrownBy(() -> admin.status(endpoint)).isInstanceOf(AdminException.class)
                        .hasMessageContaining(answer.length == 0 ? "closed the connection during the handshake"
                                : "does not speak TLS")
                        .message().doesNotContain("null").doesNotContain("3c21444f4354");
                t.join(5_000);
            }
        }
    }

    @Test
    void theEndpointRequiresMutualTls() throws Exception {
        TlsConfig plain = c.adminTls().withoutClientAuthentication();
        assertThatThrownBy(() -> AdminOptions.of("127.0.0.1:0", plain)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mutual TLS");
    }

    @Test
    void clientsWithoutAnAdminCertificateAreRejected() throws Exception {
        String endpoint = c.endpoint("n1");
        long before = c.admins.get("n1").rejectedConnections();
        TestPki.Issued node = c.pki.node("n2");
        TestPki.Issued commonNameOnly = c.pki.issue("CN=alice");
        TestPki.Issued bothUris = c.pki.issue("CN=x", TestPki.uri("urn:raftlib:admin:x"),
                TestPki.uri("urn:raftlib:node:n2"));
        TestPki other = new TestPki();
        TestPki.Issued foreign = other.issue("CN=eve", TestPki.uri("urn:raftlib:admin:eve"));

        assertRefused(c.pki.tls(node), endpoint, Code.REFUSED, "node certificate");
        assertRefused(c.pki.tls(commonNameOnly), endpoint, Code.REFUSED, "no urn:raftlib:admin:");
        assertRefused(c.pki.tls(bothUris), endpoint, Code.REFUSED, "node certificate");
        assertRefused(TlsConfig.of(keys(foreign), trust(c.pki.ca())),
                endpoint, Code.CONNECTION, "");
        assertRefused(TlsConfig.of(emptyKeys(), trust(c.pki.ca())), endpoint, Code.CONNECTION, "");

        Await.until("5 rejected connections", AdminTestCluster.WAIT,
                () -> c.admins.get("n1").rejectedConnections() >= before + 5);
        assertThat(admin.status(endpoint).id()).isEqualTo(NodeId.of("n1"));
    }

    @Test
    void onlyAllowedAdminsAreAccepted() throws Exception {
        TestPki.Issued bob = c.pki.issue("CN=bob", TestPki.uri("urn:raftlib:admin:bob"));
        try (AdminServer onlyBob = AdminServer.start(c.nodes.get("n2"), AdminOptions.of("127.0.0.1:0",
                c.pki.tls(c.pki.node("n2"))).withAllowedAdmins("bob"))) {
            String endpoint = "127.0.0.1:" + onlyBob.localAddress().getPort();
            assertRefused(c.adminTls(), endpoint, Code.REFUSED, "admin [alice]");
            try (AdminClient asBob = AdminClient.create(c.pki.tls(bob))) {
                assertThat(asBob.status(endpoint).id()).isEqualTo(NodeId.of("n2"));
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        try (AdminServer two = AdminServer.start(c.nodes.get("n3"), AdminOptions.of("127.0.0.1:0",
                c.pki.tls(c.pki.node("n3"))).withMaxConnections(2));
                Socket first = new Socket("127.0.0.1", two.localAddress().getPort());
                Socket second = new Socket("127.0.0.1", two.localAddress().getPort())) {
            Await.until("2 connections accepted", AdminTestCluster.WAIT, () -> two.rejectedConnections() == 0
                    && first.isConnected() && second.isConnected());
            try (Socket third = new Socket("127.0.0.1", two.localAddress().getPort())) {
                third.setSoTimeout(5_000);
                assertThat(third.getInputStream().read()).isEqualTo(-1);     // closed by the server
            }
            assertThat(two.rejectedConnections()).isEqualTo(1);
            first.close();
            second.close();
            Await.until("room for a new connection", AdminTestCluster.WAIT, () -> {
                try {
                    return admin.status("127.0.0.1:" + two.localAddress().getPort()) != null;
                } catch (AdminException e) {
                    return false;
                }
            });
        }
    }

    /**
     * A connection its client gave up on before the TLS handshake (an admin status waits 5 s for a paused node, then
     * closes) is no refusal once the node gets to it: no WARN, not counted (outside probe). Plain bytes still are.
     */
    @Test
    void connectionsClosedBeforeTheirHandshakeAreNotRefusals() throws Exception {
        try (AdminServer own = AdminServer.start(c.nodes.get("n3"), AdminOptions.of("127.0.0.1:0",
                c.pki.tls(c.pki.node("n3"))))) {
            int port = own.localAddress().getPort();
            new Socket("127.0.0.1", port).close();
            try (Socket plain = new Socket("127.0.0.1", port)) {
                plain.setSoTimeout(10_000);
                plain.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readAll(plain.getInputStream())).doesNotContain("GET");
            }
            Await.until("the plain connection refused", AdminTestCluster.WAIT, () -> own.rejectedConnections() >= 1);
            assertThat(own.rejectedConnections()).as("only the plain one: the abandoned one was refused nothing")
                    .isEqualTo(1);
        }
    }

    private static void assertRefused(TlsConfig tls, String endpoint, Code code, String message) {
        try (AdminClient client = AdminClient.create(tls)) {
            assertThatThrownBy(() -> client.status(endpoint)).isInstanceOf(AdminException.class)
                    .hasMessageContaining(message)
                    .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(code));
        }
    }

    @Test
    void statusOfEveryNode() {
        c.awaitLeader();
        for (String id : List.of("n1", "n2", "n3")) {
            RaftStatus s = admin.status(c.endpoint(id));
            assertThat(s.id()).isEqualTo(NodeId.of(id));
            assertThat(s.state()).isEqualTo(NodeState.RUNNING);
            assertThat(s.configuration().voters()).extracting(NodeId::value).containsExactlyInAnyOrder("n1", "n2",
                    "n3");
            assertThat(s.members()).hasSize(3);
            if (s.isLeader()) {
                assertThat(s.peers()).hasSize(2);
            }
        }
        RaftStatus[] l = new RaftStatus[1];
        Await.until("the leader's status (elections may run meanwhile)", AdminTestCluster.WAIT,
                () -> (l[0] = admin.status(c.endpoint(c.awaitLeader()))).isLeader());
        assertThat(l[0].commitIndex()).isPositive();
        assertThat(l[0].peers()).hasSize(2);
        Await.until("the leader to hear from both followers", AdminTestCluster.WAIT,
                () -> admin.status(c.endpoint(c.awaitLeader())).peers().values().stream()
                        .allMatch(p -> p.reachable() && p.sinceHeard().compareTo(Duration.ofSeconds(2)) < 0));
    }

    @Test
    void transfersLeadershipToAChosenNode() {
        String leader = c.awaitLeader();
        String target = leader.equals("n2") ? "n3" : "n2";
        String follower = List.of("n1", "n2", "n3").stream().filter(id -> !id.equals(leader)).findFirst()
                .orElseThrow();
        assertThatThrownBy(() -> admin.transferLeadership(c.endpoint(follower), NodeId.of(target)))
                .isInstanceOf(AdminException.class)
                .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(Code.NOT_LEADER));

        Await.until(target + " to lead", AdminTestCluster.WAIT, () -> {
            String current = c.awaitLeader();                // a starved CI machine may elect another meanwhile
            if (!current.equals(target)) {
                try {
                    admin.transferLeadership(c.endpoint(current), NodeId.of(target));
                } catch (AdminException e) {
                    if (e.code() != Code.NOT_LEADER) {
                        throw e;
                    }
                }
            }
            return c.nodes.get(target).status().isLeader();
        });
        assertThat(admin.status(c.endpoint(target)).isLeader()).isTrue();
    }

    @Test
    void takesASnapshot() throws Exception {
        String leader = c.awaitLeader();
        c.nodes.get(leader).submit("x".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
        long index = admin.takeSnapshot(c.endpoint("n1"));
        assertThat(index).isPositive();
        assertThat(admin.status(c.endpoint("n1")).latestSnapshot()).hasValueSatisfying(
                m -> assertThat(m.index()).isEqualTo(index));
        assertThat(admin.status(c.endpoint("n1")).latestSnapshot()).as("every field, the configuration's index too")
                .isEqualTo(c.nodes.get("n1").status().latestSnapshot());
    }

    @Test
    void addsPromotesAndRemovesAFourthNode() throws Exception {
        String leader = c.awaitLeader();
        String endpoint = c.endpoint(leader);
        Member n4 = AdminTestCluster.member("n4");
        List<Member> all = new ArrayList<>(c.members.values());
        all.add(n4);
        c.startNode("n4", all, true);
        try {
            assertThatThrownBy(() -> admin.addVoter(endpoint, Member.of("n5", "no port")))
                    .isInstanceOf(AdminException.class)
                    .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(Code.INVALID_ARGUMENT));
            assertThatThrownBy(() -> admin.promote(endpoint, NodeId.of("n4")))
                    .satisfies(e -> assertThat(((AdminException) e).code()).isEqualTo(Code.INVALID_ARGUMENT))
                    .hasMessageContaining("not a learner");

            ClusterConfig learner = admin.addLearner(endpoint, n4);
            assertThat(learner.learners()).containsExactly(n4.id());
            ClusterConfig promoted = admin.promote(endpoint, n4.id());
            assertThat(promoted.voters()).contains(n4.id());
            assertThat(promoted.learners()).isEmpty();
            Await.until("n4 to apply the configuration", AdminTestCluster.WAIT,
                    () -> admin.status(c.endpoint("n4")).configuration().voters().contains(n4.id()));
            ClusterConfig removed = admin.removeMember(endpoint, n4.id());
            assertThat(removed.contains(n4.id())).isFalse();
            assertThat(removed.voters()).hasSize(3);
        } finally {
            c.admins.remove("n4").close();
            c.nodes.remove("n4").close();
        }
    }

    @Test
    void malformedFramesCloseTheConnectionAndLeaveTheNodeServing() throws Exception {
        String leader = c.awaitLeader();
        long before = c.admins.get(leader).rejectedConnections();
        int port = c.admins.get(leader).localAddress().getPort();

        String garbage = exchange(port, frame(5, new byte[] {-1, -1, -1, -1, -1}));
        assertThat(garbage).contains("BAD_REQUEST").contains("malformed request");
        String oversized = exchange(port, frame(Integer.MAX_VALUE, new byte[16]));
        assertThat(oversized).contains("BAD_REQUEST").contains("over 65536 bytes");
        sendAndClose(port, frame(100, new byte[10]));                  // truncated: ends 10 bytes into the frame
        try (Socket plain = new Socket("127.0.0.1", port)) {            // not TLS at all
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(plain.getInputStream())).doesNotContain("GET");
        }

        Await.until("4 rejected connections", AdminTestCluster.WAIT,
                () -> c.admins.get(leader).rejectedConnections() >= before + 4);
        assertThat(c.nodes.get(leader).status().state()).isEqualTo(NodeState.RUNNING);
        assertThat(admin.status(c.endpoint(leader)).id()).isEqualTo(NodeId.of(leader));
        String now = c.awaitLeader();
        assertThat(c.nodes.get(now).submit("after".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS))
                .isNotEmpty();
    }

    private static byte[] frame(int length, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(length);
        out.write(body);
        return bytes.toByteArray();
    }

    /** Sends {@code bytes} over TLS with the admin certificate, then returns what comes back until the end. */
    private String exchange(int port, byte[] bytes) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys(c.admin).getKeyManagers(), trust(c.pki.ca()).getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    /** Sends {@code bytes} over TLS with the admin certificate and closes the connection. */
    private void sendAndClose(int port, byte[] bytes) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys(c.admin).getKeyManagers(), trust(c.pki.ca()).getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
        }
    }

    /** Reads until the end of the stream (or a reset, which also ends it). */
    private static String readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // Documented ignore path: the server closed or reset the connection, which is what ends it here.
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static KeyManagerFactory keys(TestPki.Issued own) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("own", own.key(), "p".toCharArray(), new X509Certificate[] {own.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "p".toCharArray());
        return kmf;
    }

    private static KeyManagerFactory emptyKeys() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "p".toCharArray());
        return kmf;
    }

    private static TrustManagerFactory trust(X509Certificate ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }
}
