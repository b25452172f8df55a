package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * The listening side's half of stall detection. Counts the bytes read on an inbound connection after TLS and
 * before framing, which are exactly the bytes the peer wrote into its pipeline (frames and handshake, length
 * prefixes included), and, once the handshake asked for receipts ({@link #start}), writes the count back on the same
 * connection: at once, then at most once per requested interval while bytes keep arriving, and once more after the
 * last of them. The peer's {@link PeerConnection} treats a connection whose receipts stop while it has bytes
 * outstanding as stalled. Counting before framing lets a large frame on a slow link show progress before it is
 * complete.
 *
 * <p>A receipt is skipped while the channel is not writable (the peer does not read what we write): nothing queues
 * up behind a peer that never reads, and that peer's own check closes the connection.
 *
 * <p>Stateful: one instance per channel, confined to the channel's event loop.
 */
final class ReceiptWriter extends ChannelInboundHandlerAdapter {

    /** The shortest receipt interval honoured, whatever a peer asks for. */
    static final int MIN_INTERVAL_MILLIS = 10;
    /** The longest receipt interval honoured. */
    static final int MAX_INTERVAL_MILLIS = 60_000;

    private ChannelHandlerContext ctx;
    private long bytesRead;
    private long bytesAcknowledged;
    private long intervalNanos;          // 0 until the handshake asked for receipts
    private long lastSentNanos;
    private boolean scheduled;

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (msg instanceof ByteBuf b) {
            bytesRead += b.readableBytes();
        }
        context.fireChannelRead(msg);          // the handshake, and so start(), is handled inside this call
        if (intervalNanos > 0 && !scheduled && bytesRead != bytesAcknowledged) {
            scheduled = true;
            long delay = Math.max(0, lastSentNanos + intervalNanos - System.nanoTime());
            context.executor().schedule(this::sendScheduled, delay, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Starts receipts at the interval the peer's handshake asked for, clamped to
     * [{@value #MIN_INTERVAL_MILLIS}, {@value #MAX_INTERVAL_MILLIS}] ms, and acknowledges the handshake at once.
     */
    void start(int intervalMillis) {
        int millis = Math.max(MIN_INTERVAL_MILLIS, Math.min(MAX_INTERVAL_MILLIS, intervalMillis));
        intervalNanos = TimeUnit.MILLISECONDS.toNanos(millis);
        send();
    }

    private void sendScheduled() {
        scheduled = false;
        if (ctx.channel().isActive() && bytesRead != bytesAcknowledged) {
            send();
        }
    }

    private void send() {
        lastSentNanos = System.nanoTime();
        if (ctx.channel().isWritable()) {
            bytesAcknowledged = bytesRead;
            ctx.writeAndFlush(ProtoMapper.encodeReceipt(ctx.alloc(), bytesRead), ctx.voidPromise());
        }
    }
}
