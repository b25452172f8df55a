package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the pipeline of one inbound peer connection: optional TLS, the idle check, the byte count and receipts of
 * {@link ReceiptWriter}, framing with a maximum size (and a small one for the first frame, the handshake, which
 * anyone who can reach the port may send: {@link FrameDecoder#FrameDecoder(int, int)}), then the handshake-checking,
 * decoding {@link InboundHandler}. The listening side writes nothing but receipts, and those only when the peer's
 * handshake asks for them.
 *
 * <p>Shared by every accepted channel of one transport; it holds no per-channel state.
 */
final class ServerInitializer extends ChannelInitializer<Channel> {

    private static final Logger LOG = LoggerFactory.getLogger(ServerInitializer.class);

    private final InboundRouter router;
    private final SslContext sslContext;
    private final int maxHandshakeBytes;

    /** {@code sslContext} is null for plain TCP. */
    ServerInitializer(InboundRouter router, SslContext sslContext) {
        this.router = router;
        this.sslContext = sslContext;
        this.maxHandshakeBytes = ProtoMapper.maxHandshakeBytes(router.local().clusterId(), router.local().groupId());
    }

    @Override
    public boolean isSharable() {
        return true;
    }

    @Override
    protected void initChannel(Channel ch) {
        AcceptedChannels.Admission admission = router.accepted().track(ch);
        if (admission == AcceptedChannels.Admission.FULL) {
            router.counters().reject(RejectReason.TOO_MANY_CONNECTIONS);
            router.counters().warn(LOG, RejectReason.TOO_MANY_CONNECTIONS.name(), "{} closing connection from {}: {}"
                    + " connections wait for their handshake already (a flood from anyone who can reach the port?)",
                    router.local().nodeId(), ch.remoteAddress(), AcceptedChannels.MAX_UNIDENTIFIED);
        }
        if (admission != AcceptedChannels.Admission.SERVE) {
            return;
        }
        ChannelPipeline p = ch.pipeline();
        if (sslContext != null) {
            p.addLast("tls", sslContext.newHandler(ch.alloc()));
        }
        p.addLast("idle", new IdleStateHandler(router.options().idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        p.addLast("receipts", new ReceiptWriter());
        p.addLast("frameDecoder", new FrameDecoder(router.options().maxFrameBytes(), maxHandshakeBytes));
        p.addLast("inbound", new InboundHandler(router));
    }
}
