package org.raftlib.transport.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.message.LogText;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} over TCP with Netty: listens on {@code self.address()} and keeps one outbound connection per
 * peer, dialed once at start (so that peers waiting out a backoff towards a restarted node hear of it at once), then
 * opened on the first message and reopened with exponential backoff and jitter after a failure.
 *
 * <pre>{@code
 * Transport transport = NettyTransport.builder()
 *         .clusterId("orders")
 *         .groupId("g1")
 *         .options(NettyTransportOptions.defaults().withMaxFrameBytes(4 << 20))
 *         .build();
 * }</pre>
 *
 * <p><b>Defaults.</b> {@link #builder()} starts from cluster id {@code "raftlib"}, group id {@code "default"},
 * {@link NettyTransportOptions#defaults()} and no TLS. Every node of a group must use the same cluster id and group id.
 *
 * <p><b>Wire.</b> A connection carries messages one way: each node opens one connection to each peer it sends to, and
 * the listening side writes only receipts (bytes read so far, for stall detection). Every frame is a 4-byte
 * big-endian length, then that many bytes (at most
 * {@link NettyTransportOptions#maxFrameBytes()}, 16 MiB by default) of one protobuf {@code Frame} of
 * {@code raft.proto}. The first frame is a {@code Handshake}: cluster id, group id, the sender's node id and the
 * protocol version (1). Every later frame is an {@code Envelope}: the same cluster, group and version, sender,
 * addressee and one message: {@code RequestVote}, {@code AppendEntries}, {@code InstallSnapshot} (one chunk),
 * {@code TimeoutNow}, a follower's {@code ReadIndexRequest} or {@code ForwardProposal}, or the response to one of
 * them. An inbound connection whose handshake or frames are
 * wrong (another cluster, an id not in the address book, a bad or oversized frame, a first frame above 64 KiB, an
 * invalid message) is closed, counted in {@link #metrics()} and logged at WARN with rate limiting, and the node keeps
 * serving everyone else. A peer keeps one inbound connection: an accepted handshake closes any older connection from
 * the same node id. See the module README for what a hostile peer can and cannot hold.
 *
 * <p><b>Delivery.</b> Per-peer order is kept and nothing is lost while both ends are up and the peer's outbound
 * queue ({@link NettyTransportOptions#outboundQueueLimit()}) does not overflow. Messages queued for a peer that
 * cannot be reached are dropped and counted. Messages written in one event-loop turn are flushed together. A
 * connection that holds data the peer has not acknowledged for {@link NettyTransportOptions#stallTimeout()} (a cut
 * link, a frozen peer) is closed and redialed, so a healed link carries traffic again within about a second; the
 * messages it still held are lost (Raft sends again what matters).
 *
 * <p><b>Security.</b> With {@link Builder#tls(TlsConfig)} every connection uses TLS, mutual TLS by default. A
 * peer's certificate must then name the node it claims to be, by default in a subject-alternative-name URI
 * {@code urn:raftlib:node:<id>} ({@link PeerIdentityVerifier}): a connection whose client certificate does not name
 * the node id of its handshake, or whose server certificate does not name the peer dialled, is refused. See the
 * module README.
 *
 * <p><b>Threading.</b> Thread-safe. {@link #send} never blocks and never throws. The inbound consumer runs on one of
 * {@link NettyTransportOptions#ioThreads()} event-loop threads named {@code raft-<group>-<node>-io-<n>}. With one
 * I/O thread (the default) the transport offers it as the node's {@link #loopExecutor()}, so a node's protocol
 * work, its reads and its writes share one thread and a message crosses no thread hand-off inside the node.
 */
public final class NettyTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);
    private static final int NEW = 0;
    private static final int STARTED = 1;
    private static final int CLOSED = 2;
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final String clusterId;
    private final String groupId;
    private final NettyTransportOptions options;
    private final SslContext serverSsl;
    private final SslContext clientSsl;
    private final PeerIdentityVerifier identity;
    private final List<X509Certificate> ownCertificates;
    private final TransportCounters counters = new TransportCounters();
    private final AtomicInteger state = new AtomicInteger(NEW);
    private final Map<NodeId, PeerConnection> connections = new ConcurrentHashMap<>();
    private volatile Map<NodeId, Member> peers = Map.of();
    private volatile NodeId selfId;
    private volatile EventLoopGroup group;
    private volatile PeerConnection.Config outbound;
    private volatile Channel serverChannel;
    /** Every accepted connection still open; a closed channel leaves the group by itself. */
    private final ChannelGroup accepted = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile AcceptedChannels acceptedChannels;

    private NettyTransport(Builder b) {
        this.clusterId = b.clusterId;
        this.groupId = b.groupId;
        this.options = b.options;
        this.serverSsl = b.serverSsl;
        this.clientSsl = b.clientSsl;
        this.identity = b.identity != null ? b.identity : PeerIdentityVerifier.standard();
        this.ownCertificates = b.ownCertificates;
    }

    /** Returns a builder with cluster id {@code "raftlib"}, group id {@code "default"}, default options, no TLS. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Binds {@code self.address()}, a {@code host:port} (an IPv6 host in brackets), and starts the event loops.
     *
     * @throws IllegalArgumentException if {@code self.address()} is not {@code host:port}
     */
    @Override
    public void start(Member self, Consumer<RaftMessage> inbound) throws IOException {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(inbound, "inbound");
        if (!state.compareAndSet(NEW, STARTED)) {
            throw new IllegalStateException("transport already " + (state.get() == CLOSED ? "closed" : "started"));
        }
        InetSocketAddress bindAddress;
        try {
            bindAddress = parse(self.address(), 0, true);
        } catch (IllegalArgumentException e) {
            state.set(CLOSED);
            throw e;
        }
        selfId = self.id();
        int receiptMillis = (int) Math.max(ReceiptWriter.MIN_INTERVAL_MILLIS, options.stallTimeout().toMillis() / 4);
        ProtoMapper.Hello local = new ProtoMapper.Hello(clusterId, groupId, self.id(), ProtoMapper.PROTOCOL_VERSION,
                receiptMillis);
        boolean epoll = Epoll.isAvailable();
        DefaultThreadFactory threads = new DefaultThreadFactory("raft-" + groupId + "-" + self.id() + "-io", true);
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(options.ioThreads(), threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        group = g;
        outbound = new PeerConnection.Config(local, options, clientSsl, counters,
                epoll ? EpollSocketChannel.class : NioSocketChannel.class, identity);
        AcceptedChannels acceptedChannels = new AcceptedChannels(accepted);
        this.acceptedChannels = acceptedChannels;
        InboundRouter router = new InboundRouter(local, id -> peers.containsKey(id), inbound, counters, options,
                identity, this::peerConnected, acceptedChannels);
        Class<? extends ServerChannel> serverClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ServerBootstrap server = new ServerBootstrap()
                .group(g)
                .channel(serverClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .handler(acceptedChannels)
                .childHandler(new ServerInitializer(router, serverSsl));
        if (epoll) {
            // Receipts that the peer's kernel never acknowledges do not keep a dead inbound connection either.
            server.childOption(EpollChannelOption.TCP_USER_TIMEOUT, (int) options.stallTimeout().toMillis());
        }
        ChannelFuture bound = server.bind(bindAddress).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            throw new IOException(self.id() + " cannot listen on " + self.address() + ": " + bound.cause().getMessage(),
                    bound.cause());
        }
        serverChannel = bound.channel();
        LOG.info("{} listening on {} ({}, {})", self.id(), serverChannel.localAddress(), epoll ? "epoll" : "nio",
                serverSsl == null ? "no TLS" : identity == PeerIdentityVerifier.insecureAcceptAny()
                        ? "TLS, peer certificates not bound to node ids" : "TLS");
        warnIfNotNamed(self.id());
        ownCertificates.forEach(c -> NodeCertificates.validityProblem(c, Instant.now()).ifPresent(problem -> LOG.warn(
                "{} presents certificate {}, which {}: peers will refuse this node's connections", self.id(),
                NodeCertificates.describe(c), problem)));
        announce(peers.keySet());
    }

    /** A node whose own certificate its peers' identity check refuses would only see its connections closed. */
    private void warnIfNotNamed(NodeId self) {
        if (ownCertificates.isEmpty() || ownCertificates.stream().anyMatch(c -> verifies(self, c))) {
            return;
        }
        LOG.warn("{} presents certificate {}, which does not name node {} ({} or a single CN={}): peers that check"
                + " identities (the default) will refuse this node", self, NodeCertificates.describe(
                ownCertificates.get(0)), self, PeerIdentityVerifier.nodeUri(self), self.value());
    }

    private boolean verifies(NodeId self, X509Certificate own) {
        try {
            return identity.verify(self, List.of(own));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only nodes in this book may connect to this transport. Connections to peers that left the book or changed
     * address are closed; an address that is not {@code host:port} is logged and its peer treated as unreachable.
     */
    @Override
    public void updatePeers(Collection<Member> peers) {
        Map<NodeId, Member> book = new HashMap<>();
        for (Member m : peers) {
            book.put(m.id(), m);
        }
        Map<NodeId, Member> before = this.peers;
        this.peers = Map.copyOf(book);
        for (PeerConnection c : new ArrayList<>(connections.values())) {
            Member now = book.get(c.peerId());
            if (now == null || !now.address().equals(c.address())) {
                connections.remove(c.peerId(), c);
                c.close();
            }
        }
        if (state.get() == STARTED) {
            announce(book.keySet().stream().filter(id -> !book.get(id).equals(before.get(id))).toList());
        }
        if (state.get() == CLOSED) {
            closeConnections();
        }
    }

    @Override
    public void send(RaftMessage message) {
        try {
            if (message == null || state.get() != STARTED || !message.from().equals(selfId)) {
                counters.dropped.increment();
                return;
            }
            PeerConnection c = connections.computeIfAbsent(message.to(), this::newConnection);
            if (c == null) {
                counters.dropped.increment();
                return;
            }
            c.enqueue(message);
            if (state.get() == CLOSED) {
                closeConnections();
            }
        } catch (RuntimeException e) {
            // Documented ignore path: send must never throw (Transport contract); Raft retransmits.
            counters.dropped.increment();
            LOG.debug("{} dropped {} to {}", selfId, message.type(), message.to(), e);
        }
    }

    /** Dials {@code ids} once each, so that peers waiting out a backoff towards this node hear of it at once. */
    private void announce(Collection<NodeId> ids) {
        for (NodeId id : ids) {
            try {
                PeerConnection c = connections.computeIfAbsent(id, this::newConnection);
                if (c != null) {
                    c.announce();
                }
            } catch (RuntimeException e) {
                // Documented ignore path: announcing is an optimisation; the first message dials again.
                LOG.debug("{} cannot announce itself to {}", selfId, id, e);
            }
        }
    }

    /** A peer's connection to us completed its handshake: see {@link PeerConnection#peerConnected()}. */
    private void peerConnected(NodeId id) {
        PeerConnection c = connections.get(id);
        if (c != null) {
            c.peerConnected();
        }
    }

    private PeerConnection newConnection(NodeId id) {
        Member peer = peers.get(id);
        if (peer == null) {
            return null;
        }
        InetSocketAddress remote;
        try {
            remote = parse(peer.address(), 1, false);
        } catch (IllegalArgumentException e) {
            counters.warn(LOG, "address:" + id, "{} cannot reach {}: {}", selfId, id, e.getMessage());
            return null;
        }
        return new PeerConnection(id, peer.address(), remote, group.next(), outbound);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The event loop when {@link NettyTransportOptions#ioThreads()} is 1; empty with more I/O threads (inbound
     * messages then arrive on several threads) or before {@link #start}.
     */
    @Override
    public Optional<ScheduledExecutorService> loopExecutor() {
        EventLoopGroup g = group;
        return g == null || options.ioThreads() != 1 ? Optional.empty() : Optional.of(g.next());
    }

    /**
     * Returns a snapshot of this transport's counters.
     *
     * @return the counters now
     */
    public NettyTransportMetrics metrics() {
        return counters.snapshot();
    }

    /** Returns {@link NettyTransportOptions#maxFrameBytes()}: larger frames are dropped by sender and receiver. */
    @Override
    public int maxMessageBytes() {
        return options.maxFrameBytes();
    }

    /** Connections accepted since start and still open (for tests); 0 before start. */
    int openAcceptedConnections() {
        return accepted.size();
    }

    /** Connections accepted since start (for tests); 0 before start. */
    long acceptedConnections() {
        AcceptedChannels a = acceptedChannels;
        return a == null ? 0 : a.acceptedSoFar();
    }

    /**
     * Returns the address the server is bound to. (Member addresses need a port from 1 to 65535: for tests, pick
     * free ports first, as the examples' launchers do.)
     *
     * @return the bound address
     * @throws IllegalStateException if the transport is not started
     */
    public InetSocketAddress localAddress() {
        Channel ch = serverChannel;
        if (ch == null) {
            throw new IllegalStateException("transport not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Closes the server and every connection, and waits up to a few seconds for the event-loop threads to end
     * (not when called from one of them, which would deadlock).
     */
    @Override
    public void close() {
        if (state.getAndSet(CLOSED) == CLOSED) {
            return;
        }
        closeConnections();
        EventLoopGroup g = group;
        if (g == null) {
            return;
        }
        Channel server = serverChannel;
        if (server != null) {
            server.close();
        }
        AcceptedChannels inbound = acceptedChannels;
        if (inbound != null) {
            inbound.closeAll();     // peers see the connections end now, whatever the event loops do at shutdown
        }
        boolean onOwnThread = false;
        for (EventExecutor e : g) {
            onOwnThread |= e.inEventLoop();
        }
        var terminated = g.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!onOwnThread && !terminated.awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            LOG.warn("{} event loops did not stop within {} s", selfId, 2 * SHUTDOWN_TIMEOUT_SECONDS);
        }
        LOG.info("{} transport closed", selfId);
    }

    private void closeConnections() {
        for (PeerConnection c : new ArrayList<>(connections.values())) {
            connections.remove(c.peerId(), c);
            c.close();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>This transport takes {@code host:port}: a host name or IPv4 address, or an IPv6 address in brackets
     * ({@code [::1]:7001}), and a port from 1 to 65535. Nothing is resolved here.
     *
     * @throws IllegalArgumentException if {@code address} is not such an address
     * @throws NullPointerException if {@code address} is null
     */
    @Override
    public void checkAddress(String address) {
        parse(address, 1, false);
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port} with a port from {@code minPort} to 65535; resolves only when
     * {@code resolve} (never on send).
     */
    static InetSocketAddress parse(String address, int minPort, boolean resolve) {
        Objects.requireNonNull(address, "address");
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? "" : address.substring(0, colon);
        String port = colon < 0 ? "" : address.substring(colon + 1);
        boolean bracketed = host.length() > 2 && host.startsWith("[") && host.endsWith("]");
        if (bracketed) {
            host = host.substring(1, host.length() - 1);
        }
        boolean goodHost = !host.isEmpty() && host.contains(":") == bracketed
                && host.chars().noneMatch(c -> c == '[' || c == ']' || c == '/' || Character.isWhitespace(c));
        int p = !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9')
                ? Integer.parseInt(port) : -1;
        if (!goodHost || p < minPort || p > 65_535) {
            throw new IllegalArgumentException("address must be host:port, an IPv6 host in brackets ([::1]:7001), "
                    + "with a port from " + minPort + " to 65535: " + LogText.quote(address));
        }
        return resolve ? new InetSocketAddress(host, p) : InetSocketAddress.createUnresolved(host, p);
    }

    /** Builds a {@link NettyTransport}. Not thread-safe. */
    public static final class Builder {

        private String clusterId = "raftlib";
        private String groupId = "default";
        private NettyTransportOptions options = NettyTransportOptions.defaults();
        private SslContext serverSsl;
        private SslContext clientSsl;
        private PeerIdentityVerifier identity;
        private List<X509Certificate> ownCertificates = List.of();

        private Builder() {
        }

        /**
         * Sets the cluster id every peer must present; connections from another cluster are refused.
         *
         * @param clusterId a non-blank id
         * @return this builder
         * @throws IllegalArgumentException if {@code clusterId} is blank
         * @throws NullPointerException if {@code clusterId} is null
         */
        public Builder clusterId(String clusterId) {
            this.clusterId = nonBlank(clusterId, "clusterId");
            return this;
        }

        /**
         * Sets the Raft group id every peer must present; also part of the I/O thread names.
         *
         * @param groupId a non-blank id
         * @return this builder
         * @throws IllegalArgumentException if {@code groupId} is blank
         * @throws NullPointerException if {@code groupId} is null
         */
        public Builder groupId(String groupId) {
            this.groupId = nonBlank(groupId, "groupId");
            return this;
        }

        /**
         * Sets the options.
         *
         * @param options the options
         * @return this builder
         * @throws NullPointerException if {@code options} is null
         */
        public Builder options(NettyTransportOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Turns TLS on for every connection, mutual by default ({@link TlsConfig}).
         *
         * @param config the keys, trusted certificates and protocol versions
         * @return this builder
         * @throws IllegalArgumentException if the keys or certificates cannot be loaded, or this node's private key is
         *     not the one of its certificate
         * @throws NullPointerException if {@code config} is null
         */
        public Builder tls(TlsConfig config) {
            Objects.requireNonNull(config, "config");
            this.serverSsl = config.serverContext();
            this.clientSsl = config.clientContext();
            this.ownCertificates = config.ownCertificates();
            return this;
        }

        /** Tests only: a hand-made context of the listening side (Netty's own type, relocated in the jar). */
        Builder serverSslContext(SslContext sslContext) {
            if (!Objects.requireNonNull(sslContext, "sslContext").isServer()) {
                throw new IllegalArgumentException("serverSslContext must be a server context");
            }
            this.serverSsl = sslContext;
            return this;
        }

        /** Tests only: a hand-made context for connections to peers. */
        Builder clientSslContext(SslContext sslContext) {
            if (!Objects.requireNonNull(sslContext, "sslContext").isClient()) {
                throw new IllegalArgumentException("clientSslContext must be a client context");
            }
            this.clientSsl = sslContext;
            return this;
        }

        /**
         * Sets how a TLS peer's certificate is tied to the node id it claims (default
         * {@link PeerIdentityVerifier#standard()}: a subject-alternative-name URI {@code urn:raftlib:node:<id>}).
         * {@link PeerIdentityVerifier#insecureAcceptAny()} turns the check off, which lets any holder of a trusted
         * certificate connect as any member.
         *
         * @param verifier the check; requires TLS
         * @return this builder
         * @throws NullPointerException if {@code verifier} is null
         */
        public Builder peerIdentityVerifier(PeerIdentityVerifier verifier) {
            this.identity = Objects.requireNonNull(verifier, "verifier");
            return this;
        }

        /**
         * Returns the transport, not yet started.
         *
         * @return the transport
         * @throws IllegalArgumentException if a peer identity verifier is set without TLS
         */
        public NettyTransport build() {
            List<String> problems = new ArrayList<>();
            if ((serverSsl == null) != (clientSsl == null)) {
                problems.add("set both serverSslContext and clientSslContext, or neither (server "
                        + (serverSsl != null) + ", client " + (clientSsl != null) + ")");
            }
            if (identity != null && serverSsl == null && clientSsl == null) {
                problems.add("peerIdentityVerifier has no effect without TLS (tls(...))");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", problems));
            }
            return new NettyTransport(this);
        }

        private static String nonBlank(String value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return value;
        }
    }
}
