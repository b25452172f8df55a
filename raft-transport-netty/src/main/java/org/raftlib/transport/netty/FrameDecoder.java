package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.List;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;

/**
 * Splits the inbound byte stream into frames of a 4-byte big-endian length and that many bytes, refusing lengths
 * above the maximum as soon as the prefix arrives (fail fast), and reporting a connection that ends inside a frame
 * as {@link RejectReason#TRUNCATED_FRAME} instead of discarding the bytes silently.
 *
 * <p>A frame that arrives in pieces is assembled in one buffer sized for the whole frame as soon as its length is
 * known, instead of one that doubles (and is copied) piece after piece: a 1 MiB snapshot chunk read 64 KiB at a time
 * is copied into its buffer once, not about three times over.
 *
 * <p>Stateful: one instance per channel.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {

    private final int maxFrameBytes;
    /** Bytes (prefix included) of the frame being assembled, once its prefix has arrived; 0 between frames. */
    private int assembling;

    FrameDecoder(int maxFrameBytes) {
        super(maxFrameBytes + ProtoMapper.LENGTH_PREFIX_BYTES, 0, ProtoMapper.LENGTH_PREFIX_BYTES, 0,
                ProtoMapper.LENGTH_PREFIX_BYTES, true);
        this.maxFrameBytes = maxFrameBytes;
        setCumulator(this::cumulate);
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        Object frame = super.decode(ctx, in);
        assembling = 0;
        if (frame == null && in.readableBytes() >= ProtoMapper.LENGTH_PREFIX_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length <= maxFrameBytes) {
                assembling = (int) length + ProtoMapper.LENGTH_PREFIX_BYTES;
            }
        }
        return frame;
    }

    /**
     * Appends {@code in} to {@code cumulation} (taking ownership of both), in place when it fits and the cumulation
     * is not shared with a frame handed on, else into a new buffer large enough for the frame being assembled.
     */
    private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (!cumulation.isReadable() && in.isContiguous()) {
            cumulation.release();                            // nothing pending: the new read is the cumulation
            return in;
        }
        try {
            int adding = in.readableBytes();
            int wanted = Math.max(cumulation.readableBytes() + adding, assembling);
            boolean fits = wanted - cumulation.readableBytes() <= cumulation.maxFastWritableBytes();
            if (fits && cumulation.refCnt() == 1 && !cumulation.isReadOnly()) {
                cumulation.writeBytes(in);
                return cumulation;
            }
            ByteBuf bigger = alloc.buffer(wanted);
            bigger.writeBytes(cumulation).writeBytes(in);
            cumulation.release();
            return bigger;
        } finally {
            in.release();
        }
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
