package org.raftlib.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an outbound connection to one peer. The peer never writes, so reads are discarded; the
 * handler resumes draining the peer's queue when the channel becomes writable again, and closes the channel on any
 * error so that {@link PeerConnection} reconnects.
 *
 * <p>One instance per channel.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ClientHandler.class);

    private final PeerConnection connection;

    ClientHandler(PeerConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            connection.drainOnLoop();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.counters().connectionFailures.increment();
        connection.counters().warn(LOG, "peer:" + connection.peerId(), "connection to {} at {} failed: {}",
                connection.peerId(), ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
