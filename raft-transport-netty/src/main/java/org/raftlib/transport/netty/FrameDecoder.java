package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.List;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;

/**
 * Splits the inbound byte stream into frames of a 4-byte big-endian length and that many bytes, refusing lengths
 * above the maximum as soon as the prefix arrives (fail fast), and reporting a connection that ends inside a frame
 * as {@link RejectReason#TRUNCATED_FRAME} instead of discarding the bytes silently.
 *
 * <p>Stateful: one instance per channel.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {

    FrameDecoder(int maxFrameBytes) {
        super(maxFrameBytes + ProtoMapper.LENGTH_PREFIX_BYTES, 0, ProtoMapper.LENGTH_PREFIX_BYTES, 0,
                ProtoMapper.LENGTH_PREFIX_BYTES, true);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (in.isReadable()) {
            int left = in.readableBytes();
            in.skipBytes(left);
            throw new FrameException(RejectReason.TRUNCATED_FRAME, "connection ended " + left
                    + " bytes into a frame");
        }
    }
}
