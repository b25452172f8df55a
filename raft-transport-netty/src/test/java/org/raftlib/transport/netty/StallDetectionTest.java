package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.transport.netty.wire.RaftWire;

/**
 * Stall detection on outbound connections ({@link NettyTransportOptions#stallTimeout()}): receipts, what closes a
 * connection that stopped making progress, what must not, and the redial when the peer reaches us first.
 */
class StallDetectionTest {

    private static final Duration STALL = Duration.ofMillis(300);
    /** Longer where a false stall is the failure: a loaded machine may hold an I/O thread back for a few 100 ms. */
    private static final Duration HEALTHY_STALL = Duration.ofSeconds(1);
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String CLUSTER = "stall";
    private static final String GROUP = "g1";
    private static final NodeId SENDER = NodeId.of("a");

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private NettyTransport transport(NettyTransportOptions options) {
        NettyTransport t = NettyTransport.builder().clusterId(CLUSTER).groupId(GROUP).options(options).build();
        closeables.add(t::close);
        return t;
    }

    private static NettyTransportOptions options() {
        return TestNet.fastOptions().withStallTimeout(STALL);
    }

    /** Starts a transport {@link #SENDER} whose only peer is {@code peer}. */
    private NettyTransport senderTo(RawPeer peer) throws IOException {
        NettyTransport t = transport(options());
        t.updatePeers(List.of(peer.member));
        t.start(TestNet.loopbackMember(SENDER.value()), m -> { });
        return t;
    }

    @Test
    void peerThatStopsReadingIsClosedAndRedialedAfterTheStallTimeout() throws Exception {
        RawPeer peer = new RawPeer(true, false);
        NettyTransport ta = senderTo(peer);

        sendUntil(ta, SENDER, peer.member.id(), () -> peer.accepts.size() >= 2);

        long stalledFor = peer.accepts.get(1) - peer.firstReceiptNanos;
        assertThat(stalledFor).as("ns from the peer's one receipt to the redial; stallTimeout %s", STALL)
                .isGreaterThanOrEqualTo(STALL.toNanos())
                .isLessThan(Duration.ofSeconds(3).toNanos());
        assertThat(ta.metrics().stalledConnections()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void peerThatSendsNoReceiptsLikeAnOlderVersionIsNeverTakenForStalled() throws Exception {
        RawPeer peer = new RawPeer(false, true);
        NettyTransport ta = senderTo(peer);

        long end = System.nanoTime() + 4 * STALL.toNanos();
        sendUntil(ta, SENDER, peer.member.id(), () -> System.nanoTime() - end > 0);

        assertThat(peer.accepts).as("connections the peer accepted").hasSize(1);
        assertThat(ta.metrics().stalledConnections()).isZero();
        assertThat(ta.metrics().connectionFailures()).isZero();
    }

    @Test
    void busyAndIdleHealthyConnectionIsKeptAndAFrozenPeerIsDetected() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = transport(options().withStallTimeout(HEALTHY_STALL));
        NettyTransport tb = transport(options().withStallTimeout(HEALTHY_STALL));
        Queue<RaftMessage> inbox = new ConcurrentLinkedQueue<>();
        ta.updatePeers(List.of(b));
        tb.updatePeers(List.of(a));
        tb.start(b, inbox::add);
        ta.start(a, m -> { });

        int sent = heartbeats(ta, a.id(), b.id(), 5 * HEALTHY_STALL.toMillis());
        await("an idle spell of three stall timeouts to pass", idleFor(3 * HEALTHY_STALL.toNanos()));
        sent += heartbeats(ta, a.id(), b.id(), 2 * HEALTHY_STALL.toMillis());
        int expected = sent;
        await("every heartbeat", () -> inbox.size() == expected);
        assertThat(ta.metrics().stalledConnections()).as("stalls of a healthy connection").isZero();
        assertThat(ta.metrics().connectionFailures()).isZero();
        // b acknowledges at most every quarter stall timeout: let the receipts for those heartbeats arrive, so that a's
        // wait for progress starts with the first byte after the freeze (a CI run closed the connection 5 ms short of
        // the timeout, counted from the freeze, because the wait had begun with heartbeats b never got to acknowledge)
        await("the receipts of those heartbeats", idleFor(HEALTHY_STALL.toNanos() / 2));

        CountDownLatch thaw = new CountDownLatch(1);
        tb.loopExecutor().orElseThrow().execute(() -> awaitQuietly(thaw));   // b's only I/O thread stops reading
        try {
            long frozen = System.nanoTime();
            sendUntil(ta, a.id(), b.id(), () -> ta.metrics().stalledConnections() >= 1);
            assertThat(System.nanoTime() - frozen).as("ns until the frozen peer's connection was closed")
                    .isGreaterThanOrEqualTo(HEALTHY_STALL.toNanos());
        } finally {
            thaw.countDown();
        }
        int before = inbox.size();
        sendUntil(ta, a.id(), b.id(), () -> inbox.size() > before);
    }

    /** The peer's connection to us, whether it opened to send or only to announce a start, ends our backoff. */
    @ParameterizedTest(name = "b sends a message: {0}")
    @ValueSource(booleans = {true, false})
    void dialWaitingForItsBackoffGoesAtOnceWhenThePeerConnectsToUs(boolean bSends) throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = waitingForItsBackoff(a, b);
        Queue<RaftMessage> inbox = new ConcurrentLinkedQueue<>();

        NettyTransport tb = transport(options());
        tb.updatePeers(List.of(a));
        long started = System.nanoTime();
        tb.start(b, inbox::add);                                   // starting, b dials a once: a redials b now
        if (bSends) {
            tb.send(new TimeoutNow(b.id(), a.id(), 1));
        }

        sendUntil(ta, a.id(), b.id(), () -> !inbox.isEmpty());
        assertThat(System.nanoTime() - started).as("ns until a reached b; its backoff was at least 10 s")
                .isLessThan(Duration.ofSeconds(5).toNanos());
    }

    /** A transport of {@code a} whose dial to {@code b} (not listening) failed: the next waits at least 10 s. */
    private NettyTransport waitingForItsBackoff(Member a, Member b) throws Exception {
        NettyTransport ta = transport(options().withReconnectBackoff(Duration.ofSeconds(20), Duration.ofSeconds(20)));
        ta.updatePeers(List.of(b));
        ta.start(a, m -> { });
        ta.send(new TimeoutNow(a.id(), b.id(), 1));
        await("a's dial to b, not yet listening, to fail", () -> ta.metrics().connectionFailures() >= 1);
        return ta;
    }

    @Test
    void receiptsOnlyWhenAskedAndTheyCountTheBytesRead() throws Exception {
        Member s = TestNet.loopbackMember("s");
        Member raw = Member.of("raw", "127.0.0.1:1");
        NettyTransport server = transport(options());
        Queue<RaftMessage> inbox = new ConcurrentLinkedQueue<>();
        server.updatePeers(List.of(raw));
        server.start(s, inbox::add);
        int port = server.localAddress().getPort();
        ProtoMapper.Hello old = new ProtoMapper.Hello(CLUSTER, GROUP, raw.id(), ProtoMapper.PROTOCOL_VERSION, 0);
        ProtoMapper.Hello asking = new ProtoMapper.Hello(CLUSTER, GROUP, raw.id(), ProtoMapper.PROTOCOL_VERSION,
                10);
        RaftMessage message = new TimeoutNow(raw.id(), s.id(), 3);

        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) STALL.toMillis());
            socket.getOutputStream().write(bytes(ProtoMapper.encodeHandshake(ByteBufAllocator.DEFAULT, old)));
            socket.getOutputStream().write(bytes(ProtoMapper.encode(ByteBufAllocator.DEFAULT, CLUSTER, GROUP,
                    message)));
            await("the message", () -> inbox.size() == 1);
            InputStream in = socket.getInputStream();
            assertThatThrownBy(in::read).as("a read from a listener that a peer of an older version connected to")
                    .isInstanceOf(SocketTimeoutException.class);
        }
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) DEADLINE.toMillis());
            byte[] hello = bytes(ProtoMapper.encodeHandshake(ByteBufAllocator.DEFAULT, asking));
            byte[] frame = bytes(ProtoMapper.encode(ByteBufAllocator.DEFAULT, CLUSTER, GROUP, message));
            socket.getOutputStream().write(hello);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            assertThat(readReceipt(in)).as("the handshake's receipt").isEqualTo(hello.length);
            socket.getOutputStream().write(frame, 0, 3);             // a frame in pieces: counted as bytes arrive
            assertThat(readReceipt(in)).isEqualTo(hello.length + 3);
            socket.getOutputStream().write(frame, 3, frame.length - 3);
            assertThat(readReceipt(in)).isEqualTo(hello.length + frame.length);
            await("the second message", () -> inbox.size() == 2);
        }
    }

    // ---- helpers ----

    /** Sends a message every 10 ms until {@code done} holds, failing after {@link #DEADLINE}. */
    private static void sendUntil(NettyTransport t, NodeId from, NodeId to, BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        long term = 1;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition within %s", DEADLINE).isNegative();
            t.send(new TimeoutNow(from, to, term++));
            Thread.sleep(10);
        }
    }

    /** Sends a message every 20 ms for {@code millis}, like a leader's heartbeats; returns how many. */
    private static int heartbeats(NettyTransport t, NodeId from, NodeId to, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        int n = 0;
        while (System.nanoTime() - end < 0) {
            t.send(new TimeoutNow(from, to, ++n));
            Thread.sleep(20);
        }
        return n;
    }

    private static BooleanSupplier idleFor(long nanos) {
        long end = System.nanoTime() + nanos;
        return () -> System.nanoTime() - end >= 0;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("%s within %s", what, DEADLINE).isNegative();
            Thread.sleep(2);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            byte[] out = new byte[buf.readableBytes()];
            buf.readBytes(out);
            return out;
        } finally {
            buf.release();
        }
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        byte[] body = new byte[in.readInt()];
        in.readFully(body);
        return body;
    }

    private static long readReceipt(DataInputStream in) throws IOException {
        RaftWire.Frame f = RaftWire.Frame.parseFrom(readFrame(in));
        assertThat(f.getKindCase()).isEqualTo(RaftWire.Frame.KindCase.RECEIPT);
        return f.getReceipt().getBytesReceived();
    }

    /**
     * A peer on a raw socket: reads each connection's handshake, then acknowledges it with one receipt if
     * {@code receipt} (a peer of this version) and keeps reading if {@code reads}, or stops reading for good.
     */
    private final class RawPeer implements AutoCloseable {

        final Member member;
        final List<Long> accepts = new CopyOnWriteArrayList<>();
        volatile long firstReceiptNanos;
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        RawPeer(boolean receipt, boolean reads) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            member = Member.of("raw", "127.0.0.1:" + server.getLocalPort());
            closeables.add(this);
            Thread t = new Thread(() -> serve(receipt, reads), "raw-peer");
            t.setDaemon(true);
            t.start();
        }

        private void serve(boolean receipt, boolean reads) {
            try {
                while (true) {
                    Socket s = server.accept();
                    accepts.add(System.nanoTime());
                    sockets.add(s);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    int helloBytes = ProtoMapper.LENGTH_PREFIX_BYTES + readFrame(in).length;
                    if (receipt) {
                        if (firstReceiptNanos == 0) {
                            firstReceiptNanos = System.nanoTime();      // before the receipt can arrive
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(bytes(ProtoMapper.encodeReceipt(ByteBufAllocator.DEFAULT, helloBytes)));
                        out.flush();
                    }
                    if (reads) {
                        Thread drain = new Thread(() -> discard(in), "raw-peer-reader");
                        drain.setDaemon(true);
                        drain.start();
                    }
                }
            } catch (IOException e) {
                // Documented ignore path: the server socket was closed at the end of the test.
            }
        }

        private void discard(InputStream in) {
            byte[] buf = new byte[8192];
            try {
                while (in.read(buf) >= 0) {
                    // an older peer reads every frame and answers on its own connection, never on this one
                }
            } catch (IOException e) {
                // Documented ignore path: the connection ended.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
