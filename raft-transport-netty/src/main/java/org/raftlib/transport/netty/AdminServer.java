package org.raftlib.transport.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An admin endpoint for one {@link RaftNode}: answers an {@link AdminClient} (or the {@code raftlib-admin} command
 * line) with the node's status and carries out leadership transfers, membership changes and snapshots. Off unless
 * the application starts it:
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.start(node, AdminOptions.of("127.0.0.1:7101",
 *         TlsConfig.fromPem(nodeCrt, nodeKey, adminCa)));
 * ...
 * admin.close();                          // before node.close()
 * }</pre>
 *
 * <p><b>Security.</b> Always mutual TLS: a client must present a certificate that chains to the configured CA
 * certificates and carries a subject-alternative-name URI {@code urn:raftlib:admin:<name>}; a certificate that names
 * a node ({@code urn:raftlib:node:<id>}) is refused even if it also names an admin, and there is no common-name
 * fallback. {@link AdminOptions#withAllowedAdmins} narrows the names further.
 *
 * <p><b>Own port.</b> It listens on its own address, not on the transport's: the two can be firewalled and bound to
 * different interfaces separately, a node certificate can never be mistaken for an admin's on a shared handshake,
 * and admin work (including {@link RaftNode#status()}, which waits for the node's loop) runs on the endpoint's own
 * threads, never on the transport's event loop, which may be the node's loop itself.
 *
 * <p><b>Wire.</b> One request per connection: a 4-byte big-endian length and an {@code AdminRequest} of
 * {@code admin.proto} (at most {@link AdminOptions#maxRequestBytes()}), answered by one length-prefixed
 * {@code AdminResponse}, after which the server closes the connection.
 *
 * <p><b>Bounds.</b> A client has {@link AdminOptions#readTimeout()} to complete TLS and send its request; an
 * operation that has no outcome within {@link AdminOptions#requestTimeout()} is answered {@code TIMEOUT}; at most
 * {@link AdminOptions#maxConnections()} connections are open at once. Malformed, oversized or truncated requests and
 * refused certificates close that connection with a rate-limited WARN line; the node is never affected.
 *
 * <p>Thread-safe.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final NodeId nodeId;
    private final AdminOptions options;
    private final TransportCounters counters = new TransportCounters();
    private final LongAdder rejected = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AcceptedChannels accepted =
            new AcceptedChannels(new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    private final EventLoopGroup group;
    private final ExecutorService worker;
    private final AdminOperations operations;
    private volatile Channel serverChannel;

    private AdminServer(RaftNode node, AdminOptions options) {
        this.nodeId = node.id();
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("raft-admin-" + nodeId + "-io",
                true), NioIoHandler.newFactory());
        this.worker = Executors.newSingleThreadExecutor(new DefaultThreadFactory("raft-admin-" + nodeId + "-worker",
                true));
        this.operations = new AdminOperations(node, options.requestTimeout(), worker);
    }

    /**
     * Starts the admin endpoint of {@code node}, listening on {@link AdminOptions#address()}.
     *
     * @param node the node to administer; it may be started before or after
     * @param options where to listen, the mutual-TLS configuration and the bounds
     * @return the running endpoint; close it before closing the node
     * @throws IOException if the address cannot be bound
     * @throws IllegalArgumentException if the TLS configuration's keys or certificates cannot be loaded
     * @throws NullPointerException if an argument is null
     */
    public static AdminServer start(RaftNode node, AdminOptions options) throws IOException {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(options, "options");
        SslContext tls = options.tls().serverContext();
        AdminServer s = new AdminServer(node, options);
        s.bind(tls);
        return s;
    }

    private void bind(SslContext tls) throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(accepted)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (accepted.track(ch) == AcceptedChannels.Admission.SERVE) {
                            initConnection(ch, tls);
                        }
                    }
                });
        ChannelFuture bound = b.bind(NettyTransport.parse(options.address(), 0, true)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            throw new IOException(nodeId + " cannot listen for admin connections on " + options.address(),
                    bound.cause());
        }
        serverChannel = bound.channel();
        LOG.info("{} admin endpoint listening on {} (mutual TLS, admin certificates{})", nodeId,
                serverChannel.localAddress(), options.allowedAdmins().isEmpty() ? ""
                        : " of " + options.allowedAdmins());
    }

    private void initConnection(Channel ch, SslContext tls) {
        if (open.incrementAndGet() > options.maxConnections()) {
            open.decrementAndGet();
            rejected();
            counters.warn(LOG, "admin-limit", "{} closing admin connection from {}: {} admin connections open "
                    + "already", nodeId, ch.remoteAddress(), options.maxConnections());
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        ch.pipeline()
                .addLast("tls", tls.newHandler(ch.alloc()))
                .addLast("frameDecoder", new FrameDecoder(options.maxRequestBytes()))
                .addLast("admin", new AdminHandler(this));
    }

    /**
     * Returns the address the endpoint is bound to, useful when the options asked for port 0.
     *
     * @return the bound address
     * @throws IllegalStateException if the endpoint is closed
     */
    public InetSocketAddress localAddress() {
        Channel ch = serverChannel;
        if (ch == null || closed.get()) {
            throw new IllegalStateException("admin endpoint closed");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** Returns how many connections were closed for a refused certificate, a bad request or a limit. */
    public long rejectedConnections() {
        return rejected.sum();
    }

    /**
     * Stops listening, closes every admin connection (operations already handed to the node go on) and waits a
     * few seconds for the endpoint's threads. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Channel ch = serverChannel;
        if (ch != null) {
            ch.close();
        }
        accepted.closeAll();
        worker.shutdownNow();
        var terminated = group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!group.next().inEventLoop()
                && !terminated.awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            LOG.warn("{} admin endpoint threads did not stop within {} s", nodeId, 2 * SHUTDOWN_TIMEOUT_SECONDS);
        }
        LOG.info("{} admin endpoint closed", nodeId);
    }

    NodeId nodeId() {
        return nodeId;
    }

    AdminOptions options() {
        return options;
    }

    AdminOperations operations() {
        return operations;
    }

    TransportCounters counters() {
        return counters;
    }

    void rejected() {
        rejected.increment();
    }
}
