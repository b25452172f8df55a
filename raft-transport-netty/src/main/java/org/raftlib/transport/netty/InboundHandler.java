package org.raftlib.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.raftlib.NodeId;
import org.raftlib.message.LogText;
import org.raftlib.message.RaftMessage;
import org.raftlib.transport.netty.NettyTransportMetrics.RejectReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an inbound connection: checks the handshake (and, with TLS, that the peer's certificate names
 * the node the handshake claims), then turns each frame into a message record and hands it to the node. Any bad
 * frame closes this connection only, counted by reason and logged at WARN, with the reason's name, with rate
 * limiting (STYLE.md §9); the node never sees the bad message.
 *
 * <p>A peer keeps one inbound connection: the handshake of a newer one closes the older ({@link AcceptedChannels}).
 *
 * <p>Stateful: one instance per channel, confined to the channel's event loop. Invariant: {@code peer} is null
 * until a valid handshake arrived, and no message is delivered while it is null or after {@code rejected} is set.
 */
final class InboundHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(InboundHandler.class);
    /**
     * A connection that delivered a message this recently is alive: a real peer dials again only after losing its
     * connection, so another connection of the same node displacing it means a second process with that id.
     */
    private static final long LIVE_NANOS = 500_000_000L;

    private final InboundRouter router;
    private NodeId peer;
    private ReplicationCodec.Route route;                    // the envelope fields every frame from peer carries
    private boolean rejected;
    private ScheduledFuture<?> handshakeTimer;
    /** When this connection last delivered a message ({@link System#nanoTime()}); read by a newer one of its peer. */
    private volatile long lastMessageNanos = System.nanoTime() - 2 * LIVE_NANOS;

    InboundHandler(InboundRouter router) {
        this.router = router;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long timeout = router.options().handshakeTimeout().toNanos();
        handshakeTimer = ctx.executor().schedule(() -> {
            if (peer == null) {
                reject(ctx, RejectReason.HANDSHAKE_TIMEOUT, "no handshake within " + router.options()
                        .handshakeTimeout());
            }
        }, timeout, TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        if (peer != null) {
            router.accepted().release(peer, ctx.channel());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (!rejected) {
                onFrame(ctx, frame);
            }
        } catch (FrameException e) {
            reject(ctx, e.reason(), e.detail());
        } finally {
            frame.release();
        }
    }

    private void onFrame(ChannelHandlerContext ctx, ByteBuf frame) {
        int frameBytes = frame.readableBytes() + ProtoMapper.LENGTH_PREFIX_BYTES;
        if (peer == null) {
            accept(ctx, ProtoMapper.decodeHandshake(frame));
            return;
        }
        RaftMessage m = ProtoMapper.decodeEnvelope(frame, router.local(), route);
        if (!m.from().equals(peer)) {
            throw new FrameException(RejectReason.WRONG_SENDER, "from " + LogText.quote(m.from().value())
                    + " on the connection of " + peer);
        }
        if (!m.to().equals(router.local().nodeId())) {
            throw new FrameException(RejectReason.WRONG_ADDRESSEE, "to " + LogText.quote(m.to().value()));
        }
        if (!router.isKnownPeer().test(peer)) {
            throw new FrameException(RejectReason.UNKNOWN_PEER, "node " + peer + " left the address book");
        }
        router.counters().messagesIn.increment();
        router.counters().bytesIn.add(frameBytes);
        lastMessageNanos = System.nanoTime();
        try {
            router.consumer().accept(m);
        } catch (RuntimeException e) {
            router.counters().warn(LOG, "consumer", "{} inbound consumer threw on {} from {}; message dropped",
                    router.local().nodeId(), m.type(), peer, e);
        }
    }

    /**
     * Takes the connection as {@code hello}'s node once its handshake checks, closing any older inbound connection of
     * that node: newest wins, since a real peer dials again only after it lost its previous connection.
     */
    private void accept(ChannelHandlerContext ctx, ProtoMapper.Hello hello) {
        peer = checkHandshake(ctx, hello);
        ProtoMapper.Hello local = router.local();
        route = ReplicationCodec.Route.of(local.clusterId(), local.groupId(), peer, local.nodeId(),
                local.protocolVersion());
        cancelTimer();
        Channel older = router.accepted().claim(peer, ctx.channel());
        if (older != null) {
            InboundHandler previous = older.pipeline().get(InboundHandler.class);
            if (previous != null && System.nanoTime() - previous.lastMessageNanos < LIVE_NANOS) {
                router.counters().warn(LOG, "twin-" + peer, "{} took a connection from {} at {} while its connection"
                        + " at {} still delivered messages: two processes may run as node {} (the same id started"
                        + " twice?); the newest connection wins, so they keep displacing each other", local.nodeId(),
                        peer, ctx.channel().remoteAddress(), older.remoteAddress(), peer);
            } else {
                LOG.debug("{} closing the older connection from {} at {}: it connected again from {}",
                        local.nodeId(), peer, older.remoteAddress(), ctx.channel().remoteAddress());
            }
            older.close();
        }
        ReceiptWriter receipts = ctx.pipeline().get(ReceiptWriter.class);
        if (receipts != null && hello.receiptIntervalMillis() > 0) {
            receipts.start(hello.receiptIntervalMillis());
        }
        router.peerConnected().accept(peer);
    }

    private NodeId checkHandshake(ChannelHandlerContext ctx, ProtoMapper.Hello h) {
        ProtoMapper.Hello local = router.local();
        if (h.protocolVersion() != local.protocolVersion()) {
            throw new FrameException(RejectReason.UNSUPPORTED_VERSION, "version " + h.protocolVersion());
        }
        if (!h.clusterId().equals(local.clusterId())) {
            throw new FrameException(RejectReason.WRONG_CLUSTER, "cluster " + LogText.quote(h.clusterId()));
        }
        if (!h.groupId().equals(local.groupId())) {
            throw new FrameException(RejectReason.WRONG_GROUP, "group " + LogText.quote(h.groupId()));
        }
        if (h.nodeId().equals(local.nodeId())) {
            throw new FrameException(RejectReason.BAD_HANDSHAKE, "peer claims this node's id "
                    + LogText.quote(h.nodeId().value()));
        }
        if (!router.isKnownPeer().test(h.nodeId())) {
            throw new FrameException(RejectReason.UNKNOWN_PEER, "node " + LogText.quote(h.nodeId().value())
                    + " is not in the address book");
        }
        String mismatch = NodeCertificates.mismatch(router.identity(), h.nodeId(), ctx.channel());
        if (mismatch != null) {
            throw new FrameException(RejectReason.IDENTITY_MISMATCH, mismatch);
        }
        return h.nodeId();
    }

    /**
     * A failed TLS handshake rejects the connection; a connection on which nothing arrived for
     * {@link NettyTransportOptions#idleTimeout()} is closed.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            if (TlsConfig.closedBeforeHandshake(done.cause())) {
                // Documented ignore path: nothing was refused (see closedBeforeHandshake).
                LOG.debug("{} connection from {} ended before its TLS handshake completed", router.local().nodeId(),
                        ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            reject(ctx, RejectReason.TLS_FAILURE, TlsConfig.failure(done.cause()));
        } else if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
            LOG.debug("{} closing connection from {}: silent for {}", router.local().nodeId(),
                    peer != null ? peer : ctx.channel().remoteAddress(), router.options().idleTimeout());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (rejected) {
            return;
        }
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof FrameException f) {
            reject(ctx, f.reason(), f.detail());
        } else if (root instanceof TooLongFrameException) {
            reject(ctx, RejectReason.OVERSIZED_FRAME, root.getMessage());
        } else if (root instanceof CorruptedFrameException) {
            reject(ctx, RejectReason.MALFORMED_FRAME, root.getMessage());
        } else if (root instanceof SSLException) {
            reject(ctx, RejectReason.TLS_FAILURE, TlsConfig.failure(root));
        } else if (root instanceof IOException) {
            // Documented ignore path: the peer reset or closed the socket; nothing was malformed.
            LOG.debug("{} inbound connection from {} ended: {}", router.local().nodeId(), ctx.channel().remoteAddress(),
                    root.toString());
            ctx.close();
        } else if (root instanceof OutOfMemoryError) {
            // Not the peer's bytes: for example many connections, each holding part of a frame, used up the direct
            // memory. The stack trace would only show where the allocation that failed happened to be.
            reject(ctx, RejectReason.LOCAL_FAILURE, "this node ran out of memory, not the peer's fault: " + root, null);
        } else {
            reject(ctx, RejectReason.LOCAL_FAILURE, "this node failed to serve the connection: " + root, root);
        }
    }

    private void reject(ChannelHandlerContext ctx, RejectReason reason, String detail) {
        reject(ctx, reason, detail, null);
    }

    /** Closes the connection, counting and logging why; {@code failure}, if not null, is logged with its trace. */
    private void reject(ChannelHandlerContext ctx, RejectReason reason, String detail, Throwable failure) {
        if (rejected) {
            return;
        }
        rejected = true;
        cancelTimer();
        router.counters().reject(reason);
        router.counters().warn(LOG, reason.name(), "{} closing connection from {} ({}): {}: {}",
                router.local().nodeId(), ctx.channel().remoteAddress(), peer == null ? "before handshake" : peer,
                reason, detail, failure);
        ctx.close();
    }

    private void cancelTimer() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
            handshakeTimer = null;
        }
    }
}
