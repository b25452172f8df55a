package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import javax.net.ssl.SSLException;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an outbound connection to one peer. The peer writes only receipts ({@link ReceiptWriter}),
 * which this handler passes to {@link PeerConnection#onReceipt}; it resumes draining the peer's queue when the
 * channel becomes writable again, closes the channel when the server's TLS certificate does not name the peer
 * dialled, and closes it on any error (a frame that is not a receipt included) so that {@link PeerConnection}
 * reconnects.
 *
 * <p>One instance per channel.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {

    /** The largest frame accepted from the peer: a receipt takes about a dozen bytes. */
    static final int MAX_FRAME_BYTES = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ClientHandler.class);

    private final PeerConnection connection;
    private final PeerIdentityVerifier identity;

    ClientHandler(PeerConnection connection, PeerIdentityVerifier identity) {
        this.connection = connection;
        this.identity = identity;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            connection.onReceipt(ctx.channel(), ProtoMapper.decodeReceipt((ByteBuf) msg));
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            connection.drainOnLoop();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
            String mismatch = NodeCertificates.mismatch(identity, connection.peerId(), ctx.channel());
            if (mismatch != null) {
                connection.counters().reject(RejectReason.IDENTITY_MISMATCH);
                connection.counters().connectionFailures.increment();
                connection.failureCounted(ctx.channel());
                connection.counters().warn(LOG, "identity:" + connection.peerId(),
                        "closing connection to {} at {}: {}: {}", connection.peerId(), ctx.channel().remoteAddress(),
                        RejectReason.IDENTITY_MISMATCH, mismatch);
                ctx.close();
                return;
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.counters().connectionFailures.increment();
        connection.failureCounted(ctx.channel());
        if (cause instanceof IOException && !(cause instanceof SSLException)) {
            // A reset: the peer closed or restarted (a rolling restart resets every connection to it). INFO, not
            // WARN: a peer that stays away is reported by the redials' WARN.
            LOG.info("connection to {} at {} ended: {}", connection.peerId(), ctx.channel().remoteAddress(),
                    cause.toString());
        } else {
            connection.counters().warn(LOG, "peer:" + connection.peerId(), "connection to {} at {} failed: {}",
                    connection.peerId(), ctx.channel().remoteAddress(), TlsConfig.failure(cause));
        }
        ctx.close();
    }
}
