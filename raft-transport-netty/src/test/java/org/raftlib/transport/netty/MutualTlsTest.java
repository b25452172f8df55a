package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;

/**
 * Mutual TLS: certificates made at test time (never committed); each node trusts exactly the certificates of the
 * cluster's nodes, so a peer with any other certificate cannot connect. Each certificate's common name is its node's
 * id, which the standard peer identity check accepts from certificates without a node URI.
 */
class MutualTlsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static SelfSignedCertificate certA;
    private static SelfSignedCertificate certB;
    private static SelfSignedCertificate certMallory;

    private final List<NettyTransport> transports = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certA = new SelfSignedCertificate("a");
        certB = new SelfSignedCertificate("b");
        certMallory = new SelfSignedCertificate("mallory");
    }

    @AfterAll
    static void deleteCertificates() {
        certA.delete();
        certB.delete();
        certMallory.delete();
    }

    @AfterEach
    void closeAll() {
        transports.forEach(NettyTransport::close);
    }

    private NettyTransport tlsTransport(SelfSignedCertificate own, X509Certificate... trusted) throws SSLException {
        SslContext server = SslContextBuilder.forServer(own.key(), own.cert())
                .trustManager(trusted)
                .clientAuth(ClientAuth.REQUIRE)
                .build();
        SslContext client = SslContextBuilder.forClient()
                .endpointIdentificationAlgorithm(null)      // Netty 4.2 checks host names by default; peers are IPs
                .keyManager(own.key(), own.cert())
                .trustManager(trusted)
                .build();
        NettyTransport t = NettyTransport.builder().clusterId("tls").groupId("g1").options(TestNet.fastOptions())
                .serverSslContext(server).clientSslContext(client).build();
        transports.add(t);
        return t;
    }

    /** Starts {@code t} as {@code self}, with {@code peer} in its address book. */
    private static NettyTransport started(NettyTransport t, Member self, Member peer, Consumer<RaftMessage> inbox)
            throws IOException {
        t.updatePeers(List.of(peer));
        t.start(self, inbox);
        return t;
    }

    @Test
    void trustedPeersExchangeMessagesOverMutualTls() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();
        NettyTransport ta = started(tlsTransport(certA, certA.cert(), certB.cert()), a, b, inboxA::add);
        NettyTransport tb = started(tlsTransport(certB, certA.cert(), certB.cert()), b, a, m -> { });

        tb.send(new TimeoutNow(b.id(), a.id(), 7));

        await("a to receive over TLS", () -> !inboxA.isEmpty());
        assertThat(inboxA).containsExactly(new TimeoutNow(b.id(), a.id(), 7));
        assertThat(ta.metrics().rejected(RejectReason.TLS_FAILURE)).isZero();
    }

    @Test
    void peerWithAnUntrustedClientCertificateCannotConnect() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();
        NettyTransport ta = started(tlsTransport(certA, certA.cert(), certB.cert()), a, b, inboxA::add);
        // Mallory knows a's certificate and claims to be b, but holds its own key and certificate.
        NettyTransport mallory = started(tlsTransport(certMallory, certA.cert(), certMallory.cert()), b, a, m -> { });

        try (LogCapture log = new LogCapture()) {
            mallory.send(new TimeoutNow(b.id(), a.id(), 7));

            await("a to refuse the TLS handshake", () -> ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 1);
            await("mallory to count the failed connection", () -> mallory.metrics().connectionFailures() >= 1);
            // The WARN line the module README tells operators to look for.
            await("a to log the refusal", () -> log.text().lines().anyMatch(l -> l.contains("WARN")
                    && l.contains("a closing connection from") && l.contains("TLS_FAILURE")));
            assertThat(log.text()).as("said in words (it read \"Empty client certificate chain\")")
                    .contains("the peer sent no client certificate: it has none, or none issued by a CA this node"
                            + " trusts");
            assertThat(inboxA).isEmpty();
        }
    }

    @Test
    void plainTcpPeerCannotTalkToATlsNode() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = tlsTransport(certA, certA.cert(), certB.cert());
        NettyTransport plain = NettyTransport.builder().clusterId("tls").groupId("g1")
                .options(TestNet.fastOptions()).build();
        transports.add(plain);
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();
        ta.updatePeers(List.of(b));
        plain.updatePeers(List.of(a));
        ta.start(a, inboxA::add);
        plain.start(b, m -> { });

        plain.send(new TimeoutNow(b.id(), a.id(), 7));

        await("a to refuse plain TCP", () -> ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 1);
        assertThat(inboxA).isEmpty();
    }

    /** Netty's exception for bytes that are not TLS holds a hex dump of them, about 2 KB: the WARN line does not. */
    @Test
    void bytesThatAreNotTlsAreLoggedInAFewWordsWithoutTheirHexDump() throws Exception {
        Member a = TestNet.loopbackMember("a");
        NettyTransport ta = started(tlsTransport(certA, certA.cert(), certB.cert()), a, TestNet.loopbackMember("b"),
                m -> { });
        byte[] http = ("GET / HTTP/1.1\r\nHost: a\r\nX-Probe: " + "p".repeat(2_000) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);

        try (LogCapture log = new LogCapture(); Socket socket = new Socket(InetAddress.getLoopbackAddress(),
                ta.localAddress().getPort())) {
            socket.getOutputStream().write(http);

            await("a to refuse the plain bytes", () -> ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 1);
            await("a to log the refusal", () -> log.text().contains("TLS_FAILURE"));
            assertThat(log.text().lines().filter(l -> l.contains("TLS_FAILURE"))).singleElement().asString()
                    .contains("a closing connection from", "not a TLS record").doesNotContain("474554") // "GET"
                    .hasSizeLessThan(300);
        }
    }

    /**
     * Connections a peer gave up on (it timed out while this node was paused, say) end before their TLS handshake
     * when this node gets to them: not a TLS failure, and no WARN (outside probe: a resumed node logged one per
     * abandoned connection). A connection that sends plain bytes afterwards still is one, and tells the two apart.
     */
    @Test
    void connectionsClosedBeforeTheirHandshakeAreNoTlsFailures() throws Exception {
        Member a = TestNet.loopbackMember("a");
        NettyTransport ta = started(tlsTransport(certA, certA.cert(), certB.cert()), a, TestNet.loopbackMember("b"),
                m -> { });
        byte[] partialHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};   // a ClientHello record, cut short
        try (LogCapture log = new LogCapture()) {
            new Socket(InetAddress.getLoopbackAddress(), ta.localAddress().getPort()).close();
            try (Socket cut = new Socket(InetAddress.getLoopbackAddress(), ta.localAddress().getPort())) {
                cut.getOutputStream().write(partialHello);
            }
            await("both to be served and closed",
                    () -> ta.acceptedConnections() == 2 && ta.openAcceptedConnections() == 0);
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), ta.localAddress().getPort())) {
                plain.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                await("a to refuse the plain bytes", () -> ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 1);
            }
            assertThat(ta.metrics().rejected(RejectReason.TLS_FAILURE)).isEqualTo(1);
            assertThat(log.text().lines().filter(l -> l.contains("WARN"))).singleElement().asString()
                    .contains("not a TLS record");
        }
    }

    @Test
    void refusedTlsClientNeverLogsThatItReconnected() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = started(tlsTransport(certA, certA.cert(), certB.cert()), a, b, m -> { });
        NettyTransport mallory = started(tlsTransport(certMallory, certA.cert(), certMallory.cert()), b, a, m -> { });

        try (LogCapture log = new LogCapture()) {
            // From its 4th connection (3 failures before it) a client that logged on TCP connect said "reconnected".
            // From then on each retry waits at least 20, 40, then 50 ms (fastOptions' backoff, half of it fixed), so
            // 30 refusals also outlast the second after which a connection that stays up is logged as a recovery.
            await("30 refused TLS handshakes", () -> {
                mallory.send(new TimeoutNow(b.id(), a.id(), 7));
                return ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 30;
            });
            assertThat(log.text()).doesNotContain("reconnected");
        }
    }

    @Test
    void clientLogsThatItReconnectedOnceTheTlsConnectionLasts() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport tb = started(tlsTransport(certB, certA.cert(), certB.cert()), b, a, m -> { });
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();

        try (LogCapture log = new LogCapture()) {
            await("b to fail to reach a 4 times", () -> {
                tb.send(new TimeoutNow(b.id(), a.id(), 7));
                return tb.metrics().connectionFailures() >= 4;
            });
            started(tlsTransport(certA, certA.cert(), certB.cert()), a, b, inboxA::add);
            await("a to receive", () -> {
                tb.send(new TimeoutNow(b.id(), a.id(), 7));
                return !inboxA.isEmpty();
            });
            await("b to log its recovery", () -> log.text().contains("b reconnected to a"));
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
