package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
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
 * cluster's nodes, so a peer with any other certificate cannot connect.
 */
class MutualTlsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static SelfSignedCertificate certA;
    private static SelfSignedCertificate certB;
    private static SelfSignedCertificate certMallory;

    private final List<NettyTransport> transports = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certA = new SelfSignedCertificate("a.raft.test");
        certB = new SelfSignedCertificate("b.raft.test");
        certMallory = new SelfSignedCertificate("mallory.raft.test");
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

    @Test
    void trustedPeersExchangeMessagesOverMutualTls() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = tlsTransport(certA, certA.cert(), certB.cert());
        NettyTransport tb = tlsTransport(certB, certA.cert(), certB.cert());
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();
        ta.updatePeers(List.of(b));
        tb.updatePeers(List.of(a));
        ta.start(a, inboxA::add);
        tb.start(b, m -> { });

        tb.send(new TimeoutNow(b.id(), a.id(), 7));

        await("a to receive over TLS", () -> !inboxA.isEmpty());
        assertThat(inboxA).containsExactly(new TimeoutNow(b.id(), a.id(), 7));
        assertThat(ta.metrics().rejected(RejectReason.TLS_FAILURE)).isZero();
    }

    @Test
    void peerWithAnUntrustedClientCertificateCannotConnect() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = tlsTransport(certA, certA.cert(), certB.cert());
        // Mallory knows a's certificate and claims to be b, but holds its own key and certificate.
        NettyTransport mallory = tlsTransport(certMallory, certA.cert(), certMallory.cert());
        Queue<RaftMessage> inboxA = new ConcurrentLinkedQueue<>();
        ta.updatePeers(List.of(b));
        mallory.updatePeers(List.of(a));
        ta.start(a, inboxA::add);
        mallory.start(b, m -> { });

        mallory.send(new TimeoutNow(b.id(), a.id(), 7));

        await("a to refuse the TLS handshake", () -> ta.metrics().rejected(RejectReason.TLS_FAILURE) >= 1);
        await("mallory to count the failed connection", () -> mallory.metrics().connectionFailures() >= 1);
        assertThat(inboxA).isEmpty();
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
