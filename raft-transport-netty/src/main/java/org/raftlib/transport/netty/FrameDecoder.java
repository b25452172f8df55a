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
 * <p>On a connection from someone not yet known ({@link #FrameDecoder(int, int)}: a peer's inbound connection, whose
 * first frame is its handshake) sizing ahead would let anyone who can reach the port make the node reserve
 * {@code maxFrameBytes} per connection with 5 bytes. There the first frame may announce only a small length, and
 * its buffer grows only with the bytes that actually arrive; frames after the first are sized ahead, since the
 * handshake has then been checked (a bad one closes the connection before the next read).
 *
 * <p>Stateful: one instance per channel.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {

    private final int maxFrameBytes;
    /** The longest first frame accepted; {@code maxFrameBytes} when the first frame is like any other. */
    private final int firstFrameMaxBytes;
    /** Whether a frame's buffer may be sized from its length prefix: from the start, or once the first frame left. */
    private boolean sizeAhead;
    /** Whether the first frame was refused: everything after it is discarded until the channel closes. */
    private boolean refused;
    /** Bytes (prefix included) of the frame being assembled, once its prefix has arrived; 0 between frames. */
    private int assembling;

    /**
     * A decoder for a peer that is already trusted (a dialled node's receipts, the admin endpoint behind mutual TLS):
     * every frame, the first included, may announce up to {@code maxFrameBytes} and is sized ahead.
     */
    FrameDecoder(int maxFrameBytes) {
        this(maxFrameBytes, maxFrameBytes, true);
    }

    /**
     * A decoder for a connection whose first frame is a handshake from someone not yet known: a first frame longer
     * than {@code firstFrameMaxBytes} (capped at {@code maxFrameBytes}) is refused as
     * {@link RejectReason#OVERSIZED_FRAME} as soon as its prefix arrives, and no buffer is sized ahead of the bytes
     * received until the first frame has been handed on.
     */
    FrameDecoder(int maxFrameBytes, int firstFrameMaxBytes) {
        this(maxFrameBytes, Math.min(firstFrameMaxBytes, maxFrameBytes), false);
    }

    private FrameDecoder(int maxFrameBytes, int firstFrameMaxBytes, boolean sizeAhead) {
        super(maxFrameBytes + ProtoMapper.LENGTH_PREFIX_BYTES, 0, ProtoMapper.LENGTH_PREFIX_BYTES, 0,
                ProtoMapper.LENGTH_PREFIX_BYTES, true);
        this.maxFrameBytes = maxFrameBytes;
        this.firstFrameMaxBytes = firstFrameMaxBytes;
        this.sizeAhead = sizeAhead;
        setCumulator(this::cumulate);
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        assembling = 0;
        if (refused) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        if (!sizeAhead && in.readableBytes() >= ProtoMapper.LENGTH_PREFIX_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length > firstFrameMaxBytes) {
                refused = true;
                in.skipBytes(in.readableBytes());
                boolean tls = (length >>> 16) == 0x1603;           // a TLS handshake record: type 22, version 3.x
                throw new FrameException(RejectReason.OVERSIZED_FRAME, "first frame announces " + length
                        + " bytes; a handshake may have at most " + firstFrameMaxBytes + (tls ? " (the peer speaks"
                        + " TLS and this node does not: configure TLS on both or on neither)" : ""));
            }
        }
        Object frame = super.decode(ctx, in);
        if (frame != null) {
            sizeAhead = true;
        } else if (sizeAhead && in.readableBytes() >= ProtoMapper.LENGTH_PREFIX_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length <= maxFrameBytes) {
                assembling = (int) length + ProtoMapper.LENGTH_PREFIX_BYTES;
            }
        }
        return frame;
    }

    /**
     * Appends {@code in} to {@code cumulation} (taking ownership of both), in place when it fits and the cumulation
     * is not shared with a frame handed on, else into a new buffer: one large enough for the frame being assembled
     * when buffers are sized ahead, else one at most twice the bytes held (so a first frame trickling in is not copied
     * once per read).
     */
    private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (!cumulation.isReadable() && in.isContiguous()) {
            cumulation.release();                            // nothing pending: the new read is the cumulation
            return in;
        }
        try {
            int adding = in.readableBytes();
            int held = cumulation.readableBytes() + adding;
            int wanted = Math.max(held, assembling);
            boolean fits = wanted - cumulation.readableBytes() <= cumulation.maxFastWritableBytes();
            if (fits && cumulation.refCnt() == 1 && !cumulation.isReadOnly()) {
                cumulation.writeBytes(in);
                return cumulation;
            }
            ByteBuf bigger = alloc.buffer(sizeAhead ? wanted : alloc.calculateNewCapacity(held, Integer.MAX_VALUE));
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
