package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.raftlib.transport.netty.wire.RaftWire;

/**
 * An inbound connection's pipeline (frame decoder and inbound handler) on an embedded channel, with counters of its
 * own, so that every WARN line it logs is seen (none is held back by the rate limit of another test's).
 */
class InboundHandlerTest {

    private static final String CLUSTER = "c1";
    private static final String GROUP = "g1";
    private static final NodeId SERVER = NodeId.of("s");
    private static final NodeId PEER = NodeId.of("p");
    /** A cluster id that, echoed as it is, makes a second log line that looks like the node's own. */
    private static final String FORGED = "probe\n11:11:11.111 [raftlib-io-1] ERROR org.raftlib.RaftNode - s FAKE";
    private static final String HUGE = "x".repeat(60_000);
    /** Longest WARN line expected: the line's own words, a time stamp and logger name, and a few 64-character ids. */
    private static final int SHORT_LINE = 400;

    private final TransportCounters counters = new TransportCounters();
    private final Queue<RaftMessage> inbox = new ConcurrentLinkedQueue<>();

    private EmbeddedChannel inbound() {
        InboundRouter router = new InboundRouter(new ProtoMapper.Hello(CLUSTER, GROUP, SERVER,
                ProtoMapper.PROTOCOL_VERSION, 0), PEER::equals, inbox::add, counters, NettyTransportOptions.defaults(),
                NodeCertificates.STANDARD, id -> { }, new AcceptedChannels(new DefaultChannelGroup(
                        GlobalEventExecutor.INSTANCE)));
        return new EmbeddedChannel(new FrameDecoder(16 << 20, ProtoMapper.maxHandshakeBytes(CLUSTER, GROUP)),
                new InboundHandler(router));
    }

    private static byte[] handshake(String cluster, String group, String node) {
        return TestNet.framed(RaftWire.Frame.newBuilder().setHandshake(RaftWire.Handshake.newBuilder()
                .setClusterId(cluster).setGroupId(group).setNodeId(node)
                .setProtocolVersion(ProtoMapper.PROTOCOL_VERSION)).build().toByteArray());
    }

    private static byte[] envelope(String cluster, String group, String to) {
        return TestNet.framed(RaftWire.Frame.newBuilder().setEnvelope(RaftWire.Envelope.newBuilder()
                .setClusterId(cluster).setGroupId(group).setFrom(PEER.value()).setTo(to)
                .setProtocolVersion(ProtoMapper.PROTOCOL_VERSION)
                .setTimeoutNow(RaftWire.TimeoutNow.newBuilder().setTerm(3))).build().toByteArray());
    }

    /** Feeds {@code frames} to a new connection and returns the WARN lines it logged; the connection must close. */
    private List<String> warnings(RejectReason reason, byte[]... frames) {
        try (LogCapture log = new LogCapture()) {
            EmbeddedChannel channel = inbound();
            for (byte[] frame : frames) {
                channel.writeInbound(Unpooled.wrappedBuffer(frame));
            }
            assertThat(channel.isOpen()).as("connection closed").isFalse();
            assertThat(counters.snapshot().rejected(reason)).as(reason + " counted").isEqualTo(1);
            assertThat(inbox).isEmpty();
            return log.text().lines().filter(l -> !l.isBlank()).toList();
        }
    }

    @Test
    void clusterIdWithALineBreakCannotForgeALogLine() {
        List<String> lines = warnings(RejectReason.WRONG_CLUSTER, handshake(FORGED, GROUP, PEER.value()));

        assertThat(lines).singleElement().asString().contains("WARN", "WRONG_CLUSTER: cluster 'probe\\n11:11:11.111");
    }

    @Test
    void clusterAndGroupIdsWithALineBreakInAMessageCannotForgeALogLine() {
        byte[] hello = handshake(CLUSTER, GROUP, PEER.value());

        assertThat(warnings(RejectReason.WRONG_CLUSTER, hello, envelope(FORGED, GROUP, SERVER.value())))
                .singleElement().asString().contains("WRONG_CLUSTER: cluster 'probe\\n11:11:11.111");
        assertThat(warnings(RejectReason.WRONG_GROUP, hello, envelope(CLUSTER, FORGED, SERVER.value())))
                .singleElement().asString().contains("WRONG_GROUP: group 'probe\\n11:11:11.111");
    }

    @Test
    void hugeIdsInAHandshakeMakeShortLogLines() {
        assertShortWarning(warnings(RejectReason.WRONG_CLUSTER, handshake(HUGE, GROUP, PEER.value())));
        assertShortWarning(warnings(RejectReason.WRONG_GROUP, handshake(CLUSTER, HUGE, PEER.value())));
        assertShortWarning(warnings(RejectReason.BAD_HANDSHAKE, handshake(CLUSTER, GROUP, HUGE)));
    }

    @Test
    void hugeIdsInAMessageMakeShortLogLines() {
        byte[] hello = handshake(CLUSTER, GROUP, PEER.value());

        assertShortWarning(warnings(RejectReason.WRONG_CLUSTER, hello, envelope(HUGE, GROUP, SERVER.value())));
        assertShortWarning(warnings(RejectReason.WRONG_GROUP, hello, envelope(CLUSTER, HUGE, SERVER.value())));
        assertShortWarning(warnings(RejectReason.INVALID_MESSAGE, hello, envelope(CLUSTER, GROUP, HUGE)));
    }

    /**
     * 2,500 connections each holding part of a 64 KiB first frame used up the direct memory; the error was counted
     * and logged as the peer's malformed frame.
     */
    @Test
    void runningOutOfDirectMemoryIsReportedAsThisNodesFailureNotAMalformedFrame() {
        byte[] hello = handshake(CLUSTER, GROUP, PEER.value());
        try (LogCapture log = new LogCapture()) {
            EmbeddedChannel channel = inbound();
            channel.config().setAllocator(new OutOfDirectMemory());
            channel.writeInbound(Unpooled.wrappedBuffer(hello, 0, 8));
            channel.writeInbound(Unpooled.wrappedBuffer(hello, 8, 4));         // the first frame's buffer must grow

            assertThat(channel.isOpen()).as("connection closed").isFalse();
            assertThat(counters.snapshot().rejected(RejectReason.MALFORMED_FRAME)).isZero();
            assertThat(counters.snapshot().rejected(RejectReason.LOCAL_FAILURE)).isEqualTo(1);
            assertThat(log.text().lines().filter(l -> l.contains("WARN"))).singleElement().asString()
                    .contains("LOCAL_FAILURE: this node ran out of memory, not the peer's fault")
                    .contains("Cannot reserve 131072 bytes of direct buffer memory");
        }
    }

    /** An allocator whose every buffer fails as when the direct memory limit is reached. */
    private static final class OutOfDirectMemory extends AbstractByteBufAllocator {

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            throw new OutOfMemoryError("Cannot reserve 131072 bytes of direct buffer memory (allocated: 268435456, "
                    + "limit: 268435456)");
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private static void assertShortWarning(List<String> lines) {
        assertThat(lines).singleElement().asString().contains("WARN", "'" + "x".repeat(64) + "'... (60000 characters)")
                .hasSizeLessThan(SHORT_LINE);
    }
}
