package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.raftlib.transport.netty.TestNet.framed;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.raftlib.transport.netty.wire.RaftWire;

/**
 * Bad bytes over a raw socket against a running transport: each closes that connection and is counted by reason,
 * the consumer never sees a bad message, and a legitimate peer's traffic keeps flowing.
 */
class HostileInputTest {

    private static final long SEED = Long.getLong("raftlib.seed", 0x5EED_2026L);
    private static final int FUZZ_ROUNDS = Integer.getInteger("raftlib.fuzzRounds", 3_000);
    private static final String CLUSTER = "hostile";
    private static final String GROUP = "g1";
    private static final NodeId SERVER = NodeId.of("s");
    private static final NodeId LEGIT = NodeId.of("legit");
    private static final NodeId RAW = NodeId.of("raw");
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static NettyTransport server;
    private static NettyTransport legit;
    private static int serverPort;
    private static final Queue<RaftMessage> INBOX = new ConcurrentLinkedQueue<>();
    private static final AtomicLong LEGIT_TERM = new AtomicLong();

    @BeforeAll
    static void startTransports() throws Exception {
        System.out.println("HostileInputTest seed=" + SEED + " (replay with -Draftlib.seed=" + SEED + ")");
        Member s = TestNet.loopbackMember(SERVER.value());
        Member l = TestNet.loopbackMember(LEGIT.value());
        Member raw = Member.of(RAW.value(), "127.0.0.1:1");
        server = NettyTransport.builder().clusterId(CLUSTER).groupId(GROUP)
                .options(TestNet.fastOptions().withMaxFrameBytes(64 << 10)
                        .withHandshakeTimeout(Duration.ofMillis(300)).withIdleTimeout(Duration.ofMillis(800)))
                .build();
        server.updatePeers(List.of(l, raw));
        server.start(s, INBOX::add);
        serverPort = server.localAddress().getPort();
        legit = NettyTransport.builder().clusterId(CLUSTER).groupId(GROUP).options(TestNet.fastOptions()).build();
        legit.updatePeers(List.of(s));
        legit.start(l, m -> { });
    }

    @AfterAll
    static void closeTransports() {
        legit.close();
        server.close();
    }

    // ---- frames ----

    private static byte[] handshake(String cluster, String group, String node, int version) {
        return framed(RaftWire.Frame.newBuilder().setHandshake(RaftWire.Handshake.newBuilder().setClusterId(cluster)
                .setGroupId(group).setNodeId(node).setProtocolVersion(version)).build().toByteArray());
    }

    private static byte[] goodHandshake() {
        return handshake(CLUSTER, GROUP, RAW.value(), ProtoMapper.PROTOCOL_VERSION);
    }

    private static RaftWire.Envelope.Builder envelope() {
        return RaftWire.Envelope.newBuilder().setClusterId(CLUSTER).setGroupId(GROUP).setFrom(RAW.value())
                .setTo(SERVER.value()).setProtocolVersion(ProtoMapper.PROTOCOL_VERSION)
                .setTimeoutNow(RaftWire.TimeoutNow.newBuilder().setTerm(3));
    }

    private static byte[] frame(RaftWire.Envelope.Builder e) {
        return framed(RaftWire.Frame.newBuilder().setEnvelope(e).build().toByteArray());
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ---- raw socket ----

    /** Writes {@code bytes}, half-closes, and returns whether the server then closed the connection in time. */
    private static boolean sendRaw(byte[] bytes, boolean halfClose) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), serverPort)) {
            socket.setSoTimeout((int) DEADLINE.toMillis());
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
            InputStream in = socket.getInputStream();
            try {
                return in.read() == -1;
            } catch (SocketException reset) {
                return true;
            } catch (SocketTimeoutException timeout) {
                return false;
            }
        }
    }

    private static void assertRejected(byte[] bytes, boolean halfClose, RejectReason reason) throws IOException {
        long before = server.metrics().rejected(reason);
        int inboxBefore = INBOX.size();

        assertThat(sendRaw(bytes, halfClose)).as("server closed the connection").isTrue();

        await(reason + " counted, now " + server.metrics(), () -> server.metrics().rejected(reason) == before + 1);
        assertThat(INBOX.stream().skip(inboxBefore)).noneMatch(m -> m.from().equals(RAW));
        assertLegitimateTrafficFlows();
    }

    private static void assertLegitimateTrafficFlows() {
        long term = LEGIT_TERM.incrementAndGet();
        legit.send(new TimeoutNow(LEGIT, SERVER, term));
        await("legitimate message " + term, () -> INBOX.stream().anyMatch(m -> m.from().equals(LEGIT)
                && m.term() == term));
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what + " (seed " + SEED + ")");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    // ---- one named test per bad input ----

    @Test
    void randomBytesAreRejected() throws IOException {
        byte[] junk = new byte[40];
        new SplittableRandom(SEED).nextBytes(junk);
        junk[0] = 0;
        junk[1] = 0;
        junk[2] = 0;
        junk[3] = 36;
        long before = server.metrics().rejectedTotal();

        assertThat(sendRaw(junk, true)).isTrue();

        await("a rejection", () -> server.metrics().rejectedTotal() == before + 1);
        assertLegitimateTrafficFlows();
    }

    @Test
    void truncatedFrameIsRejected() throws IOException {
        byte[] hs = goodHandshake();
        byte[] cut = Arrays.copyOf(hs, hs.length - 5);

        assertRejected(cut, true, RejectReason.TRUNCATED_FRAME);
    }

    @Test
    void oversizedLengthPrefixIsRejectedBeforeTheBodyArrives() throws IOException {
        assertRejected(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3}, false,
                RejectReason.OVERSIZED_FRAME);
    }

    @Test
    void frameJustOverTheLimitIsRejected() throws IOException {
        assertRejected(framed(new byte[(64 << 10) + 1]), false, RejectReason.OVERSIZED_FRAME);
    }

    @Test
    void lengthPrefixWithTheSignBitSetIsReadUnsignedAndRejectedAsOversized() throws IOException {
        assertRejected(new byte[] {(byte) 0x80, 0, 0, 0, 1}, false, RejectReason.OVERSIZED_FRAME);
    }

    @Test
    void emptyFirstFrameIsRejected() throws IOException {
        assertRejected(new byte[] {0, 0, 0, 0}, false, RejectReason.BAD_HANDSHAKE);
    }

    @Test
    void handshakeFromAnotherClusterIsRejected() throws IOException {
        assertRejected(handshake("other", GROUP, RAW.value(), ProtoMapper.PROTOCOL_VERSION), false,
                RejectReason.WRONG_CLUSTER);
    }

    @Test
    void validFrameFromAnotherClusterIsRejectedAfterAGoodHandshake() throws IOException {
        assertRejected(concat(goodHandshake(), frame(envelope().setClusterId("other"))), false,
                RejectReason.WRONG_CLUSTER);
    }

    @Test
    void handshakeFromAnotherGroupIsRejected() throws IOException {
        assertRejected(handshake(CLUSTER, "g2", RAW.value(), ProtoMapper.PROTOCOL_VERSION), false,
                RejectReason.WRONG_GROUP);
    }

    @Test
    void handshakeWithAnotherProtocolVersionIsRejected() throws IOException {
        assertRejected(handshake(CLUSTER, GROUP, RAW.value(), 99), false, RejectReason.UNSUPPORTED_VERSION);
    }

    @Test
    void unknownPeerIdIsRejected() throws IOException {
        assertRejected(handshake(CLUSTER, GROUP, "stranger", ProtoMapper.PROTOCOL_VERSION), false,
                RejectReason.UNKNOWN_PEER);
    }

    @Test
    void invalidNodeIdInHandshakeIsRejected() throws IOException {
        assertRejected(handshake(CLUSTER, GROUP, "has space", ProtoMapper.PROTOCOL_VERSION), false,
                RejectReason.BAD_HANDSHAKE);
    }

    @Test
    void messageBeforeHandshakeIsRejected() throws IOException {
        assertRejected(frame(envelope()), false, RejectReason.BAD_HANDSHAKE);
    }

    @Test
    void silentConnectionIsClosedAtTheHandshakeTimeout() throws IOException {
        assertRejected(new byte[0], false, RejectReason.HANDSHAKE_TIMEOUT);
    }

    @Test
    void peerStallingInTheMiddleOfAFrameIsDisconnectedAtTheIdleTimeout() throws IOException {
        byte[] whole = frame(envelope());
        byte[] partial = Arrays.copyOf(whole, whole.length / 2);
        long start = System.nanoTime();
        assertThat(sendRaw(concat(goodHandshake(), partial), false)).as("server closed the stalled connection")
                .isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
        assertLegitimateTrafficFlows();
    }

    @Test
    void messageWhoseSenderIsNotTheHandshakeNodeIsRejected() throws IOException {
        assertRejected(concat(goodHandshake(), frame(envelope().setFrom(LEGIT.value()))), false,
                RejectReason.WRONG_SENDER);
    }

    @Test
    void messageForAnotherNodeIsRejected() throws IOException {
        assertRejected(concat(goodHandshake(), frame(envelope().setTo("elsewhere"))), false,
                RejectReason.WRONG_ADDRESSEE);
    }

    @Test
    void messageWithoutBodyIsRejected() throws IOException {
        assertRejected(concat(goodHandshake(), frame(envelope().clearBody())), false, RejectReason.INVALID_MESSAGE);
    }

    @Test
    void negativeIndexIsRejected() throws IOException {
        RaftWire.AppendEntries bad = RaftWire.AppendEntries.newBuilder().setTerm(2).setPrevLogIndex(-1)
                .setPrevLogTerm(1).build();
        assertRejected(concat(goodHandshake(), frame(envelope().setAppendEntries(bad))), false,
                RejectReason.INVALID_MESSAGE);
    }

    @Test
    void negativeReadSeqIsRejected() throws IOException {
        RaftWire.AppendEntriesResponse bad = RaftWire.AppendEntriesResponse.newBuilder().setTerm(2).setSuccess(true)
                .setMatchIndex(3).setReadSeq(-1).build();
        assertRejected(concat(goodHandshake(), frame(envelope().setAppendEntriesResponse(bad))), false,
                RejectReason.INVALID_MESSAGE);
    }

    @Test
    void entriesNotFollowingPrevLogIndexAreRejected() throws IOException {
        RaftWire.AppendEntries bad = RaftWire.AppendEntries.newBuilder().setTerm(2).setPrevLogIndex(5)
                .setPrevLogTerm(1).addEntries(RaftWire.Entry.newBuilder().setTerm(2).setIndex(7).setType(1))
                .build();
        assertRejected(concat(goodHandshake(), frame(envelope().setAppendEntries(bad))), false,
                RejectReason.INVALID_MESSAGE);
    }

    @Test
    void unknownEntryTypeIsRejected() throws IOException {
        RaftWire.AppendEntries bad = RaftWire.AppendEntries.newBuilder().setTerm(2).setPrevLogIndex(5)
                .setPrevLogTerm(1).addEntries(RaftWire.Entry.newBuilder().setTerm(2).setIndex(6).setType(257))
                .build();
        assertRejected(concat(goodHandshake(), frame(envelope().setAppendEntries(bad))), false,
                RejectReason.INVALID_MESSAGE);
    }

    /**
     * A configuration entry that does not decode failed the node that appended it (three such messages stopped a
     * whole cluster); it is an invalid message like any other.
     */
    @Test
    void malformedConfigurationEntryIsRejected() throws IOException {
        RaftWire.AppendEntries bad = RaftWire.AppendEntries.newBuilder().setTerm(2).setPrevLogIndex(5)
                .setPrevLogTerm(1).addEntries(RaftWire.Entry.newBuilder().setTerm(2).setIndex(6).setType(3)
                        .setData(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9})))
                .build();
        assertRejected(concat(goodHandshake(), frame(envelope().setAppendEntries(bad))), false,
                RejectReason.INVALID_MESSAGE);
    }

    @Test
    void garbageAfterAGoodHandshakeIsRejected() throws IOException {
        assertRejected(concat(goodHandshake(), framed("not protobuf at all".getBytes(StandardCharsets.UTF_8))),
                false, RejectReason.MALFORMED_FRAME);
    }

    @Test
    void validMessageFromTheRawPeerIsDelivered() throws IOException {
        sendRaw(concat(goodHandshake(), frame(envelope().setTimeoutNow(RaftWire.TimeoutNow.newBuilder()
                .setTerm(424_242)))), true);

        await("the raw peer's valid message", () -> INBOX.stream().anyMatch(m -> m.term() == 424_242));
    }

    // ---- fuzz ----

    @Test
    void seededFuzzOfRandomAndMutatedFramesNeverHurtsTheNode() throws IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        byte[] valid = concat(goodHandshake(), frame(envelope()),
                frame(envelope().setAppendEntries(RaftWire.AppendEntries.newBuilder().setTerm(3).setPrevLogIndex(4)
                        .setPrevLogTerm(2).addEntries(RaftWire.Entry.newBuilder().setTerm(3).setIndex(5).setType(1)
                                .setData(ByteString.copyFromUtf8("payload"))))));
        long rejectedBefore = server.metrics().rejectedTotal();
        for (int round = 0; round < FUZZ_ROUNDS; round++) {
            byte[] input = random.nextInt(4) == 0 ? randomFrame(random) : mutate(valid, random);
            assertThat(sendRaw(input, true)).as("round %d, seed %d: server closed the connection", round, SEED)
                    .isTrue();
            if (round % 500 == 499) {
                assertLegitimateTrafficFlows();
            }
        }
        assertLegitimateTrafficFlows();
        assertThat(INBOX).allSatisfy(m -> assertThat(m.to()).isEqualTo(SERVER));
        long rejected = server.metrics().rejectedTotal() - rejectedBefore;
        System.out.printf("fuzz: %d rounds, %d rejected connections, seed %d%n", FUZZ_ROUNDS, rejected, SEED);
        assertThat(rejected).as("seed %d", SEED).isGreaterThan(FUZZ_ROUNDS / 2);
    }

    private static byte[] randomFrame(SplittableRandom random) {
        byte[] body = new byte[random.nextInt(64)];
        random.nextBytes(body);
        return random.nextBoolean() ? framed(body) : body;
    }

    private static byte[] mutate(byte[] valid, SplittableRandom random) {
        byte[] b = valid.clone();
        int kind = random.nextInt(3);
        if (kind == 0) {
            for (int i = 1 + random.nextInt(4); i > 0; i--) {
                b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
            }
            return b;
        }
        if (kind == 1) {
            return Arrays.copyOf(b, random.nextInt(b.length));
        }
        int at = random.nextInt(b.length);
        byte[] noise = new byte[1 + random.nextInt(8)];
        random.nextBytes(noise);
        return concat(Arrays.copyOf(b, at), noise, Arrays.copyOfRange(b, at, b.length));
    }
}
