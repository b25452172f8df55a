package org.raftlib.transport.netty;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.raftlib.transport.netty.AdminException.Code;
import org.raftlib.transport.netty.wire.AdminWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an admin connection: checks the client's admin identity once TLS is up, reads exactly one
 * request, answers it and closes. A connection that does not send its request within the read timeout, whose
 * certificate is not an admin's, or whose request is oversized, truncated or malformed is closed with a WARN line
 * (rate-limited) giving the reason; when TLS is up the client is told why first. Nothing a client sends reaches the
 * node other than a well-formed request of an accepted admin.
 *
 * <p>Stateful: one instance per channel, confined to the channel's event loop except for the answer, which is
 * written from the thread that completes the operation.
 */
final class AdminHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);

    private final AdminServer server;
    private String admin;                        // null until the TLS handshake succeeded with an admin certificate
    private String refusal;                      // why the client's certificate is refused, once TLS is up
    private boolean requestSeen;
    private boolean rejected;
    private ScheduledFuture<?> deadline;

    AdminHandler(AdminServer server) {
        this.server = server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            if (!requestSeen) {
                reject(ctx, "no request within " + server.options().readTimeout(), false);
            }
        }, server.options().readTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess() && TlsConfig.closedBeforeHandshake(done.cause())) {
                // Documented ignore path: nothing was refused (see closedBeforeHandshake).
                LOG.debug("{} admin connection from {} ended before its TLS handshake completed", server.nodeId(),
                        ctx.channel().remoteAddress());
                ctx.close();
            } else if (!done.isSuccess()) {
                reject(ctx, "TLS handshake failed: " + TlsConfig.failure(done.cause()), false);
            } else {
                AdminCertificates.Verdict v = AdminCertificates.check(ctx.channel(), server.options().allowedAdmins());
                admin = v.admin();
                refusal = v.refusal();              // answered when the request arrives, so the client reads it
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (rejected || requestSeen) {
                return;                             // one request per connection; the answer is on its way
            }
            if (refusal != null) {
                reject(ctx, Code.REFUSED, refusal);
                return;
            }
            if (admin == null) {
                reject(ctx, "request before the client's admin identity was checked", false);
                return;
            }
            requestSeen = true;
            cancelDeadline();
            AdminWire.AdminRequest request;
            try {
                request = AdminCodec.parseRequest(frame);
            } catch (InvalidProtocolBufferException e) {
                reject(ctx, Code.BAD_REQUEST, "malformed request (" + frame.writerIndex() + " bytes): "
                        + e.getMessage());
                return;
            }
            Object remote = ctx.channel().remoteAddress();
            server.operations().execute(request, admin, remote).whenComplete((answer, t) -> answer(ctx,
                    answer != null ? answer : server.operations().failure(t)));
        } finally {
            frame.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof TooLongFrameException) {
            reject(ctx, Code.BAD_REQUEST, "request over " + server.options().maxRequestBytes() + " bytes: "
                    + root.getMessage());
        } else if (root instanceof FrameException f) {
            reject(ctx, f.detail(), false);
        } else if (root instanceof SSLException) {
            reject(ctx, "TLS failure: " + TlsConfig.failure(root), false);
        } else if (root instanceof IOException) {
            // Documented ignore path: the client reset or closed the socket; nothing was malformed.
            LOG.debug("{} admin connection from {} ended: {}", server.nodeId(), ctx.channel().remoteAddress(),
                    root.toString());
            ctx.close();
        } else {
            reject(ctx, root.toString(), false);
        }
    }

    /** Closes the connection, logging why; tells the client first when TLS is up. */
    private void reject(ChannelHandlerContext ctx, Code code, String reason) {
        if (rejected) {
            return;
        }
        reject(ctx, reason, true);
        answer(ctx, AdminCodec.error(server.nodeId(), code, reason, Optional.empty()));
    }

    private void reject(ChannelHandlerContext ctx, String reason, boolean answerFollows) {
        if (rejected) {
            return;
        }
        rejected = true;
        requestSeen = true;
        cancelDeadline();
        server.rejected();
        server.counters().warn(LOG, "admin-reject", "{} closing admin connection from {}{}: {}", server.nodeId(),
                ctx.channel().remoteAddress(), admin == null ? "" : " (admin '" + admin + "')", reason);
        if (!answerFollows) {
            ctx.close();
        }
    }

    private static void answer(ChannelHandlerContext ctx, AdminWire.AdminResponse response) {
        ctx.writeAndFlush(AdminCodec.frame(ctx.alloc(), response)).addListener(ChannelFutureListener.CLOSE);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
