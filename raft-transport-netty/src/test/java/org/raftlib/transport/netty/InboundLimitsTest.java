package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.transport.netty.TestNet.framed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.testkit.Await;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.raftlib.transport.netty.wire.RaftWire;

/**
 * What a peer without TLS can hold on a node over raw sockets: a first frame longer than a handshake is refused at
 * once, though 16 MiB frames are allowed after it, and a second connection claiming a peer's id replaces the first.
 * The server's handshake and idle timeouts are far longer than the waits here, so every close seen is the fix's.
 */
class InboundLimitsTest {

    private static final String CLUSTER = "limits";
    private static final String GROUP = "g1";
    private static final NodeId SERVER = NodeId.of("s");
    private static final NodeId RAW = NodeId.of("raw");
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static NettyTransport server;
    private static int serverPort;
    private static final Queue<RaftMessage> INBOX = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = NettyTransport.builder().clusterId(CLUSTER).groupId(GROUP)
                .options(TestNet.fastOptions().withMaxFrameBytes(16 << 20)
                        .withHandshakeTimeout(Duration.ofMinutes(5)).withIdleTimeout(Duration.ofMinutes(5)))
                .build();
        server.updatePeers(List.of(Member.of(RAW.value(), "127.0.0.1:1")));
        server.start(TestNet.loopbackMember(SERVER.value()), INBOX::add);
        serverPort = server.localAddress().getPort();
    }

    @AfterAll
    static void closeServer() {
        server.close();
    }

    @Test
    void firstFrameAnnouncingMoreThanAHandshakeIsRefusedAtOnce() throws IOException {
        long before = server.metrics().rejected(RejectReason.OVERSIZED_FRAME);
        int len = 16 << 20;                                  // allowed for later frames, not for the first
        byte[] prefixAndAByte = {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len, 0x0a};
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket s = connect();
                sockets.add(s);
                write(s, prefixAndAByte);
            }
            for (Socket s : sockets) {
                assertThat(closedByServer(s)).as("server closed the connection").isTrue();
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }

        Await.until("20 OVERSIZED_FRAME refusals, now " + server.metrics(), DEADLINE,
                () -> server.metrics().rejected(RejectReason.OVERSIZED_FRAME) == before + 20);
        assertThat(server.metrics().rejected(RejectReason.HANDSHAKE_TIMEOUT)).isZero();
    }

    @Test
    void handshakeOfAClusterWithAnIdLongerThanTheHandshakeRoomIsAccepted() throws Exception {
        String longCluster = "c".repeat(ProtoMapper.HANDSHAKE_ROOM_BYTES + 1000);
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        Queue<RaftMessage> inboxB = new ConcurrentLinkedQueue<>();
        try (NettyTransport ta = NettyTransport.builder().clusterId(longCluster).options(TestNet.fastOptions()).build();
                NettyTransport tb = NettyTransport.builder().clusterId(longCluster).options(TestNet.fastOptions())
                        .build()) {
            ta.updatePeers(List.of(b));
            tb.updatePeers(List.of(a));
            tb.start(b, inboxB::add);
            ta.start(a, m -> { });

            ta.send(new TimeoutNow(a.id(), b.id(), 7));

            Await.until("delivery", DEADLINE, () -> !inboxB.isEmpty());
            assertThat(tb.metrics().rejectedTotal()).isZero();
        }
    }

    @Test
    void eachNewConnectionClaimingAPeerIdClosesTheOlderOne() throws IOException {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket s = connect();
                sockets.add(s);
                long term = 1000 + 10 * i;
                write(s, concat(handshake(), timeoutNow(term)));
                awaitDelivery(term);                         // the handshake was accepted
                if (i > 0) {
                    assertThat(closedByServer(sockets.get(i - 1))).as("connection %d closed by %d", i - 1, i)
                            .isTrue();
                }
                write(s, timeoutNow(term + 1));
                awaitDelivery(term + 1);                     // the newest connection still carries messages
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /**
     * At most 64 connections may wait for their handshake at once; past that a new one is closed as it is accepted
     * (an outside probe held 300 idle connections to a node limited to 128 file descriptors, which then failed to
     * create a file of its log and stopped). Once they go, a peer gets in again.
     */
    @Test
    void connectionsWaitingForTheirHandshakeAreBoundedAndAPeerGetsInOnceTheyGo() throws IOException {
        long before = server.metrics().rejected(RejectReason.TOO_MANY_CONNECTIONS);
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < AcceptedChannels.MAX_UNIDENTIFIED + 10; i++) {
                idle.add(connect());
            }
            Await.until("the 10 past the bound refused", DEADLINE,
                    () -> server.metrics().rejected(RejectReason.TOO_MANY_CONNECTIONS) - before >= 10);
            assertThat(server.metrics().rejected(RejectReason.TOO_MANY_CONNECTIONS) - before).isEqualTo(10);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        Await.until("the idle connections gone", DEADLINE, () -> server.openAcceptedConnections() == 0);
        try (Socket peer = connect()) {
            write(peer, concat(handshake(), timeoutNow(7000)));
            awaitDelivery(7000);
        }
    }

    // ---- raw sockets ----

    private static Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), serverPort);
        s.setSoTimeout((int) DEADLINE.toMillis());
        return s;
    }

    private static void write(Socket s, byte[] bytes) throws IOException {
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
    }

    /** Returns whether the server closed {@code s} within the deadline (the server never writes without receipts). */
    private static boolean closedByServer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketException reset) {
            return true;
        } catch (SocketTimeoutException timeout) {
            return false;
        }
    }

    private static void awaitDelivery(long term) {
        Await.until("the message of term " + term, DEADLINE, () -> INBOX.stream()
                .anyMatch(m -> m.from().equals(RAW) && m.term() == term));
    }

    // ---- frames ----

    /** A handshake as {@link #RAW} that asks for no receipts, so the server writes nothing on the connection. */
    private static byte[] handshake() {
        return framed(RaftWire.Frame.newBuilder().setHandshake(RaftWire.Handshake.newBuilder().setClusterId(CLUSTER)
                .setGroupId(GROUP).setNodeId(RAW.value()).setProtocolVersion(ProtoMapper.PROTOCOL_VERSION))
                .build().toByteArray());
    }

    private static byte[] timeoutNow(long term) {
        return framed(RaftWire.Frame.newBuilder().setEnvelope(RaftWire.Envelope.newBuilder().setClusterId(CLUSTER)
                .setGroupId(GROUP).setFrom(RAW.value()).setTo(SERVER.value())
                .setProtocolVersion(ProtoMapper.PROTOCOL_VERSION)
                .setTimeoutNow(RaftWire.TimeoutNow.newBuilder().setTerm(term))).build().toByteArray());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
