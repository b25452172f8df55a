package org.raftlib.transport.netty;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftStatus;
import org.raftlib.transport.netty.AdminException.Code;
import org.raftlib.transport.netty.wire.AdminWire;
import org.raftlib.transport.netty.wire.AdminWire.AdminResponse.ResultCase;

/**
 * Talks to the {@link AdminServer} of a node: one mutual-TLS connection per request, to the endpoint named in each
 * call ({@code host:port}). The client's certificate must carry {@code urn:raftlib:admin:<name>}; the server's must
 * chain to the client's trusted CA certificates (host names are not checked, as in the transport).
 *
 * <pre>{@code
 * try (AdminClient admin = AdminClient.create(TlsConfig.fromPem(adminCrt, adminKey, ca))) {
 *     RaftStatus s = admin.status("10.0.0.1:7101");
 *     admin.transferLeadership("10.0.0.1:7101", NodeId.of("n2"));
 * }
 * }</pre>
 *
 * <p>Every method blocks until the answer arrives or the client's timeout passes, and throws {@link AdminException}
 * when the request fails: with the node's reason ({@link AdminException.Code#NOT_LEADER} with the leader it knows
 * of, {@code INVALID_ARGUMENT}, {@code TIMEOUT}, ...), or with {@code CONNECTION} when the endpoint cannot be
 * reached, refuses the TLS handshake or closes without answering. Membership changes and transfers must be sent to
 * the leader.
 *
 * <p>Thread-safe; close it to stop its I/O thread.
 */
public final class AdminClient implements AutoCloseable {

    /** Default wait for an answer: 40 s, longer than the server's default request timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(40);

    private static final int MAX_RESPONSE_BYTES = 16 << 20;
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final SslContext tls;
    private final Duration timeout;
    private final EventLoopGroup group;

    private AdminClient(SslContext tls, Duration timeout) {
        this.tls = tls;
        this.timeout = timeout;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("raft-admin-client", true),
                NioIoHandler.newFactory());
    }

    /**
     * Returns a client with {@link #DEFAULT_TIMEOUT}.
     *
     * @param tls the admin's key and certificate, and the CA certificates the nodes' certificates chain to
     * @return the client
     * @throws IllegalArgumentException if the keys or certificates cannot be loaded
     * @throws NullPointerException if {@code tls} is null
     */
    public static AdminClient create(TlsConfig tls) {
        return create(tls, DEFAULT_TIMEOUT);
    }

    /**
     * Returns a client.
     *
     * @param tls the admin's key and certificate, and the CA certificates the nodes' certificates chain to
     * @param timeout how long each request may take, connecting included; positive
     * @return the client
     * @throws IllegalArgumentException if the keys or certificates cannot be loaded, or {@code timeout} is not
     *     positive
     * @throws NullPointerException if an argument is null
     */
    public static AdminClient create(TlsConfig tls, Duration timeout) {
        Objects.requireNonNull(tls, "tls");
        if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        return new AdminClient(tls.clientContext(), timeout);
    }

    /**
     * Returns the status of the node at {@code endpoint}.
     *
     * @param endpoint the node's admin endpoint, {@code host:port}
     * @return its status; {@link RaftStatus#peers()} is filled in on a leader only
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public RaftStatus status(String endpoint) {
        return status(endpoint, timeout);
    }

    /**
     * Returns the status of the node at {@code endpoint}, waiting at most {@code wait} (a node answers it from memory,
     * so a tool may wait less than for an operation).
     *
     * @param endpoint the node's admin endpoint, {@code host:port}
     * @param wait how long the request may take, connecting included; positive
     * @return its status; {@link RaftStatus#peers()} is filled in on a leader only
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}, or {@code wait} not positive
     * @throws NullPointerException if {@code wait} is null
     */
    public RaftStatus status(String endpoint, Duration wait) {
        if (Objects.requireNonNull(wait, "wait").isNegative() || wait.isZero()) {
            throw new IllegalArgumentException("wait must be positive: " + wait);
        }
        AdminWire.AdminResponse r = call(endpoint, AdminWire.AdminRequest.newBuilder()
                .setStatus(AdminWire.StatusRequest.getDefaultInstance()), ResultCase.STATUS, wait);
        return decode(endpoint, () -> AdminCodec.status(r.getStatus()));
    }

    /**
     * Asks the leader at {@code endpoint} to hand leadership to {@code target}; returns once it sees the target
     * lead.
     *
     * @param endpoint the leader's admin endpoint
     * @param target the voter to lead next
     * @throws AdminException if the request fails ({@code NOT_LEADER}, {@code INVALID_ARGUMENT} if the target is
     *     not a voter, {@code FAILED} if the transfer did not finish in time)
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public void transferLeadership(String endpoint, NodeId target) {
        call(endpoint, AdminWire.AdminRequest.newBuilder().setTransferLeadership(
                AdminWire.TransferLeadershipRequest.newBuilder().setTarget(target.value())), ResultCase.DONE);
    }

    /**
     * Adds a voter through the leader at {@code endpoint} (as a learner first, promoted once caught up).
     *
     * @param endpoint the leader's admin endpoint
     * @param voter the new member and the address of its transport
     * @return the committed configuration
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public ClusterConfig addVoter(String endpoint, Member voter) {
        return configuration(endpoint, AdminWire.AdminRequest.newBuilder().setAddVoter(member(voter)));
    }

    /**
     * Adds a learner through the leader at {@code endpoint}.
     *
     * @param endpoint the leader's admin endpoint
     * @param learner the new member and the address of its transport
     * @return the committed configuration
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public ClusterConfig addLearner(String endpoint, Member learner) {
        return configuration(endpoint, AdminWire.AdminRequest.newBuilder().setAddLearner(member(learner)));
    }

    /**
     * Makes the learner {@code id} a voter, through the leader at {@code endpoint}.
     *
     * @param endpoint the leader's admin endpoint
     * @param id the learner
     * @return the committed configuration
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public ClusterConfig promote(String endpoint, NodeId id) {
        return configuration(endpoint, AdminWire.AdminRequest.newBuilder().setPromote(memberId(id)));
    }

    /**
     * Removes the member {@code id}, through the leader at {@code endpoint}.
     *
     * @param endpoint the leader's admin endpoint
     * @param id the member
     * @return the committed configuration
     * @throws AdminException if the request fails
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public ClusterConfig removeMember(String endpoint, NodeId id) {
        return configuration(endpoint, AdminWire.AdminRequest.newBuilder().setRemoveMember(memberId(id)));
    }

    /**
     * Makes the node at {@code endpoint} take a snapshot now.
     *
     * @param endpoint the node's admin endpoint
     * @return the index the snapshot covers
     * @throws AdminException if the request fails ({@code UNSUPPORTED} without a snapshot store)
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public long takeSnapshot(String endpoint) {
        return call(endpoint, AdminWire.AdminRequest.newBuilder().setTakeSnapshot(
                AdminWire.TakeSnapshotRequest.getDefaultInstance()), ResultCase.SNAPSHOT).getSnapshot().getIndex();
    }

    /** Stops the client's I/O thread. Idempotent. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    private static AdminWire.MemberRequest member(Member m) {
        return AdminWire.MemberRequest.newBuilder().setId(m.id().value()).setAddress(m.address()).build();
    }

    private static AdminWire.MemberIdRequest memberId(NodeId id) {
        return AdminWire.MemberIdRequest.newBuilder().setId(id.value()).build();
    }

    private ClusterConfig configuration(String endpoint, AdminWire.AdminRequest.Builder request) {
        AdminWire.AdminResponse r = call(endpoint, request, ResultCase.CONFIGURATION);
        return decode(endpoint, () -> AdminCodec.config(r.getConfiguration()));
    }

    private interface Decoder<T> {
        T decode();
    }

    private static <T> T decode(String endpoint, Decoder<T> decoder) {
        try {
            return decoder.decode();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new AdminException(Code.PROTOCOL, endpoint + " sent an invalid answer: " + e.getMessage(), e);
        }
    }

    private AdminWire.AdminResponse call(String endpoint, AdminWire.AdminRequest.Builder request, ResultCase want) {
        return call(endpoint, request, want, timeout);
    }

    private AdminWire.AdminResponse call(String endpoint, AdminWire.AdminRequest.Builder request, ResultCase want,
            Duration wait) {
        AdminWire.AdminResponse r = exchange(endpoint, request.setProtocolVersion(AdminCodec.VERSION).build(), wait);
        String who = r.getNodeId().isEmpty() ? endpoint : r.getNodeId() + " (" + endpoint + ")";
        if (r.hasError()) {
            AdminWire.AdminError e = r.getError();
            Code code;
            try {
                code = Code.valueOf(e.getCode());
            } catch (IllegalArgumentException unknown) {
                code = Code.FAILED;
            }
            NodeId leader = null;
            try {
                leader = e.getLeaderId().isEmpty() ? null : NodeId.of(e.getLeaderId());
            } catch (IllegalArgumentException invalid) {
                leader = null;
            }
            throw new AdminException(code, who + ": " + e.getMessage(), leader);
        }
        if (r.getResultCase() != want) {
            throw new AdminException(Code.PROTOCOL, who + " answered " + r.getResultCase() + " where " + want
                    + " was expected", (NodeId) null);
        }
        return r;
    }

    /** Returns {@code d} in seconds, for people: "2 s", "1.5 s". */
    static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }

    /** Sends one request on a new connection and returns the one answer. */
    private AdminWire.AdminResponse exchange(String endpoint, AdminWire.AdminRequest request, Duration wait) {
        InetSocketAddress address = NettyTransport.parse(endpoint, 1, true);
        CompletableFuture<AdminWire.AdminResponse> answer = new CompletableFuture<>();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(wait.toMillis(), MAX_CONNECT_TIMEOUT.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler handler = tls.newHandler(ch.alloc(), address.getHostString(), address.getPort());
                        handler.setHandshakeTimeoutMillis(0);       // the request's timeout covers the handshake
                        ch.pipeline().addLast("tls", handler)
                                .addLast("frameDecoder", new FrameDecoder(MAX_RESPONSE_BYTES))
                                .addLast("answer", new AnswerHandler(endpoint, answer));
                    }
                });
        Channel ch = null;
        try {
            var connected = b.connect(address);
            ch = connected.channel();
            connected.addListener(f -> {
                if (f.isSuccess()) {
                    connected.channel().writeAndFlush(AdminCodec.frame(connected.channel().alloc(), request));
                } else {
                    answer.completeExceptionally(new AdminException(Code.CONNECTION, "cannot connect to "
                            + endpoint + ": " + (f.cause() instanceof UnknownHostException ? "unknown host "
                            : "") + f.cause().getMessage(), f.cause()));
                }
            });
            return answer.get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AdminException(Code.TIMEOUT, "no answer from " + endpoint + " within " + seconds(wait)
                    + " (the node may be stopped, paused or overloaded)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(Code.CONNECTION, "interrupted waiting for " + endpoint, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AdminException a) {
                throw a;
            }
            throw new AdminException(Code.CONNECTION, endpoint + ": " + e.getCause(), e.getCause());
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }

    /** Completes the answer with the first frame read, or with why none came. One per connection. */
    private static final class AnswerHandler extends ChannelInboundHandlerAdapter {

        private final String endpoint;
        private final CompletableFuture<AdminWire.AdminResponse> answer;

        AnswerHandler(String endpoint, CompletableFuture<AdminWire.AdminResponse> answer) {
            this.endpoint = endpoint;
            this.answer = answer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                answer.complete(AdminCodec.parseResponse(frame));
            } catch (InvalidProtocolBufferException e) {
                answer.completeExceptionally(new AdminException(Code.PROTOCOL, endpoint
                        + " sent an unreadable answer (not an admin endpoint?): " + e.getMessage(), e));
            } finally {
                frame.release();
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                fail("TLS handshake with " + endpoint + " failed: " + handshakeFailure(done.cause()), done.cause());
            }
            ctx.fireUserEventTriggered(evt);
        }

        /**
         * Why a handshake failed, in words: non-TLS bytes named without Netty's hex dump of them, and a connection
         * closed without a reason (a plain TCP server, an endpoint at its connection limit) said so (it read "null").
         */
        private static String handshakeFailure(Throwable cause) {
            String named = TlsConfig.failure(cause);
            if (!named.equals(String.valueOf(cause))) {
                return named + "; is it an admin endpoint?";
            }
            return cause.getMessage() != null ? cause.getMessage() : "the endpoint closed the connection during the"
                    + " handshake (not an admin endpoint, or one with no room for another admin connection)";
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            fail(endpoint + ": " + root.getMessage() + " (is the client certificate trusted by the node and an "
                    + "admin certificate?)", root);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(endpoint + " closed the connection without answering (is it an admin endpoint, and is the client "
                    + "certificate trusted by it?)", null);
            ctx.fireChannelInactive();
        }

        private void fail(String message, Throwable cause) {
            answer.completeExceptionally(new AdminException(Code.CONNECTION, message, cause));
        }
    }
}
