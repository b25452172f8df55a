package org.raftlib.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one outbound connection to one peer: a bounded queue filled by {@code send} on any thread, drained on the
 * connection's event loop, which opens the TCP connection lazily (or once at start, {@link #announce}), writes the
 * handshake first, writes every queued message without flushing and flushes once per batch, and reconnects with
 * exponential backoff and jitter.
 *
 * <p><b>Stalls.</b> A TCP connection whose packets stop getting through stays "active": the kernel keeps the data
 * and retransmits it with a backoff that grows to minutes, so after the network heals the peer can stay unreachable
 * for as long again. Raft answers on the peer's own connection, so nothing ever arrives on this one except the
 * peer's receipts ({@link ReceiptWriter}): the peer acknowledges the bytes it has read. A connection that holds
 * unacknowledged bytes and receives no receipt for {@link NettyTransportOptions#stallTimeout()} is stalled: it is
 * closed, counted, logged once and redialed (a {@link StallWatch} per channel, checked four times per timeout).
 * The check is armed by the first receipt on the channel, or from the start once the peer has sent receipts on an
 * earlier one; a peer of an older version never sends any, so its connections are never taken for stalled (a
 * connection closed for want of its first receipt disarms that, in case the peer was downgraded). With epoll the
 * same bound is also the socket's {@code TCP_USER_TIMEOUT}, so the kernel too gives up on data it cannot deliver.
 *
 * <p><b>Redialing.</b> The backoff counts from the start of the failed attempt, so a dial that timed out (its SYN
 * lost in a partition) is followed by the next at once: an unreachable peer is dialed every
 * {@link NettyTransportOptions#connectTimeout()} or so, and a healed link is found within about that. When the
 * peer's own connection to us completes its handshake ({@link #peerConnected}), the path works again: a dial of ours
 * that waits for its backoff or for the kernel's next SYN retransmission is restarted at once.
 *
 * <p>Thread-safety: {@link #enqueue} and {@link #close} may be called from any thread. Every other method and the
 * fields marked "loop" run only on {@code loop}. Invariant: {@code queued} is at least the number of messages in
 * {@code queue} and at most {@code outboundQueueLimit}; {@code drainScheduled} is true while a drain task is pending.
 */
final class PeerConnection {

    private static final int FIRST_WARNED_FAILURE = 3;

    private static final Logger LOG = LoggerFactory.getLogger(PeerConnection.class);
    private static final int FLUSH_EVERY = 256;
    private static final long STABLE_CONNECTION_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What every peer connection of one transport shares. */
    record Config(ProtoMapper.Hello local, NettyTransportOptions options, SslContext sslContext,
            TransportCounters counters, Class<? extends Channel> channelClass, PeerIdentityVerifier identity) {
    }

    private final NodeId peerId;
    private final String address;
    private final Config config;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Queue<RaftMessage> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile boolean closed;
    private final SplittableRandom jitter;   // loop
    private final ReplicationCodec.Route route;
    private Channel channel;                 // loop: the current connection, or null
    private ChannelFuture pendingConnect;    // loop: the dial in progress, or null
    private ScheduledFuture<?> reconnectTimer; // loop: the pending reconnection, or null
    private int failures;                    // loop: consecutive failed or short-lived connections
    private long attemptStartNanos;          // loop: when the last dial started
    private long connectedAtNanos;           // loop
    private StallWatch watch = new StallWatch(); // loop: progress of the current channel
    private ScheduledFuture<?> stallCheck;   // loop: the current channel's periodic check, or null
    private boolean peerSendsReceipts;       // loop: a receipt arrived on an earlier channel; arms the next at once
    private Channel failureCounted;          // loop: the channel whose failure its handler counted already
    private boolean announce;                // loop: one dial wanted with nothing queued (see announce())
    private boolean announcing;              // loop: the dial in progress started with nothing queued

    PeerConnection(NodeId peerId, String address, InetSocketAddress remote, EventLoop loop, Config config) {
        this.peerId = peerId;
        this.address = address;
        this.config = config;
        this.loop = loop;
        this.jitter = new SplittableRandom(System.nanoTime() ^ peerId.hashCode());
        ProtoMapper.Hello local = config.local();
        this.route = ReplicationCodec.Route.of(local.clusterId(), local.groupId(), local.nodeId(), peerId,
                local.protocolVersion());
        int maxFrame = config.options().maxFrameBytes();
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(config.channelClass())
                .remoteAddress(remote)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.options().connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(Math.min(256 << 10, maxFrame), Math.max(1 << 20, maxFrame)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (config.sslContext() != null) {
                            ch.pipeline().addLast("tls", config.sslContext().newHandler(ch.alloc(),
                                    remote.getHostString(), remote.getPort()));
                        }
                        ch.pipeline().addLast("frameDecoder", new FrameDecoder(ClientHandler.MAX_FRAME_BYTES));
                        ch.pipeline().addLast("client", new ClientHandler(PeerConnection.this, config.identity()));
                    }
                });
        if (EpollSocketChannel.class.isAssignableFrom(config.channelClass())) {
            b.option(EpollChannelOption.TCP_USER_TIMEOUT, (int) config.options().stallTimeout().toMillis());
        }
        this.bootstrap = b;
    }

    NodeId peerId() {
        return peerId;
    }

    String address() {
        return address;
    }

    TransportCounters counters() {
        return config.counters();
    }

    /** Queues {@code message} for the peer, or drops and counts it if the queue is full. Never blocks. */
    void enqueue(RaftMessage message) {
        if (closed) {
            config.counters().dropped.increment();
            return;
        }
        if (queued.incrementAndGet() > config.options().outboundQueueLimit()) {
            queued.decrementAndGet();
            config.counters().dropped.increment();
            return;
        }
        queue.offer(message);
        drainOnLoop();
    }

    /** Schedules a drain on the event loop unless one is already pending. */
    void drainOnLoop() {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                loop.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // Documented ignore path: the event loop is shutting down with the transport; the queue is dropped.
                LOG.debug("{} event loop is shut down; dropping queue", peerId);
                drainScheduled.set(false);
            }
        }
    }

    private void drain() {
        drainScheduled.set(false);
        if (closed) {
            discardQueue(false);
            return;
        }
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            connectIfIdle();
            return;
        }
        int written = 0;
        RaftMessage m;
        while (ch.isWritable() && (m = queue.poll()) != null) {
            queued.decrementAndGet();
            if (write(ch, m)) {
                written++;
                if (written % FLUSH_EVERY == 0) {
                    ch.flush();
                }
            }
        }
        if (written % FLUSH_EVERY != 0) {
            ch.flush();
        }
    }

    private boolean write(Channel ch, RaftMessage m) {
        ByteBuf frame = ProtoMapper.encode(ch.alloc(), route, m);
        int bytes = frame.readableBytes();
        if (bytes - ProtoMapper.LENGTH_PREFIX_BYTES > config.options().maxFrameBytes()) {
            frame.release();
            config.counters().dropped.increment();
            config.counters().warn(LOG, "toolarge:" + peerId, "{} dropping a {}-byte {} to {}: above maxFrameBytes {}",
                    config.local().nodeId(), bytes, m.type(), peerId, config.options().maxFrameBytes());
            return false;
        }
        ch.write(frame, ch.voidPromise());
        watch.wrote(bytes, System.nanoTime());
        config.counters().messagesOut.increment();
        config.counters().bytesOut.add(bytes);
        return true;
    }

    private void connectIfIdle() {
        if (pendingConnect != null || reconnectTimer != null || closed || (queue.isEmpty() && !announce)) {
            return;
        }
        announce = false;
        announcing = queue.isEmpty();
        attemptStartNanos = System.nanoTime();
        ChannelFuture f = bootstrap.connect();
        pendingConnect = f;
        f.addListener((ChannelFuture done) -> onConnect(done));
    }

    /**
     * A peer that is starting up or restarting refuses a few connections: those are DEBUG. From the third failure in
     * a row the peer counts as unreachable: WARN then, and again at the 8th, 16th, 32nd... attempt, so a member that
     * stays down logs a line every few minutes at the backoff ceiling instead of every second.
     */
    private void logConnectFailure(Throwable cause) {
        boolean warn = failures == FIRST_WARNED_FAILURE || (failures >= 8 && Integer.bitCount(failures) == 1);
        if (warn) {
            config.counters().warn(LOG, "peer:" + peerId, "{} cannot connect to {} at {} (attempt {}): {}",
                    config.local().nodeId(), peerId, address, failures, String.valueOf(cause));
        } else {
            LOG.debug("{} cannot connect to {} at {} (attempt {}): {}", config.local().nodeId(), peerId, address,
                    failures, String.valueOf(cause));
        }
    }

    private void onConnect(ChannelFuture f) {
        if (f != pendingConnect) {                // abandoned by peerConnected for a fresh dial
            f.channel().close();
            return;
        }
        pendingConnect = null;
        if (closed) {
            f.channel().close();
            return;
        }
        if (!f.isSuccess() && announcing) {       // nobody listens yet: nothing lost, no backoff
            LOG.debug("{} cannot announce itself to {} at {}: {}", config.local().nodeId(), peerId, address,
                    String.valueOf(f.cause()));
            connectIfIdle();                      // a message queued meanwhile dials as it would have
            return;
        }
        if (!f.isSuccess()) {
            failures++;
            config.counters().connectionFailures.increment();
            logConnectFailure(f.cause());
            discardQueue(true);
            scheduleReconnect();
            return;
        }
        Channel ch = f.channel();
        channel = ch;
        connectedAtNanos = System.nanoTime();
        if (failures >= FIRST_WARNED_FAILURE) {
            int failed = failures;
            loop.schedule(() -> logReconnected(ch, failed), STABLE_CONNECTION_NANOS, TimeUnit.NANOSECONDS);
        }
        watch = new StallWatch();
        ByteBuf hello = ProtoMapper.encodeHandshake(ch.alloc(), config.local());
        watch.wrote(hello.readableBytes(), connectedAtNanos);
        ch.writeAndFlush(hello, ch.voidPromise());
        long period = Math.max(1, config.options().stallTimeout().toNanos() / 4);
        stallCheck = loop.scheduleAtFixedRate(() -> checkStall(ch), period, period, TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(cf -> onClosed(ch));
        drain();
    }

    /**
     * A TCP connection is not yet a recovery: the peer may still refuse its TLS or raftlib handshake (the server never
     * answers, and a TLS 1.3 client finishes its handshake before the server checks the client's certificate), so the
     * recovery is logged only once the connection has lasted as long as one that resets the failure count.
     */
    private void logReconnected(Channel ch, int failed) {
        if (channel == ch && ch.isActive()) {
            LOG.info("{} reconnected to {} at {} after {} failed attempts", config.local().nodeId(), peerId, address,
                    failed);
        }
    }

    /** The handler of {@code ch} counted its failure (an error, a refused certificate): closing it counts nothing. */
    void failureCounted(Channel ch) {
        failureCounted = ch;
    }

    /** A receipt from the peer on {@code ch}: it has read {@code bytesReceived} bytes of that connection. */
    void onReceipt(Channel ch, long bytesReceived) {
        if (ch == channel) {
            peerSendsReceipts = true;
            watch.receipt(bytesReceived, System.nanoTime());
        }
    }

    private void checkStall(Channel ch) {
        if (ch != channel || !(watch.receiptSeen() || peerSendsReceipts)) {
            return;
        }
        long stalled = watch.stalledNanos(System.nanoTime());
        if (stalled < config.options().stallTimeout().toNanos()) {
            return;
        }
        if (!watch.receiptSeen()) {
            peerSendsReceipts = false;      // none on this channel at all: perhaps the peer now runs an older version
        }
        config.counters().stalls.increment();
        config.counters().warn(LOG, "stall:" + peerId, "{} closing the connection to {} at {}: {} bytes "
                + "unacknowledged and no progress for {} ms (stallTimeout {} ms); redialing", config.local().nodeId(),
                peerId, address, watch.unacknowledged(), TimeUnit.NANOSECONDS.toMillis(stalled),
                config.options().stallTimeout().toMillis());
        ch.close();
    }

    /**
     * The peer's connection to us completed its handshake, so the path from it works: unless our own connection is
     * up, restart our dial now instead of waiting for its backoff timer or for the kernel's next SYN retransmission.
     * Callable from any thread.
     */
    void peerConnected() {
        try {
            loop.execute(this::redialNow);
        } catch (RejectedExecutionException e) {
            // Documented ignore path: the event loop is shutting down with the transport.
            LOG.debug("{} event loop is shut down; not redialing", peerId);
        }
    }

    /**
     * Dials the peer once now, with nothing to send: its handshake tells a peer that waits out a reconnection backoff
     * towards this node (it was down) that the path works again ({@link #peerConnected} on its side), so a restarted
     * node is heard from at once instead of after up to the backoff ceiling. A failed dial is not repeated until a
     * message is queued.
     */
    void announce() {
        try {
            loop.execute(() -> {
                if (channel == null) {
                    announce = true;
                    connectIfIdle();
                }
            });
        } catch (RejectedExecutionException e) {
            // Documented ignore path: the event loop is shutting down with the transport.
            LOG.debug("{} event loop is shut down; not dialing", peerId);
        }
    }

    private void redialNow() {
        if (closed || channel != null) {
            return;
        }
        // failures stays: a dial that succeeds now still logs the recovery of a peer that was unreachable
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
            reconnectTimer = null;
        }
        if (pendingConnect != null) {
            ChannelFuture stale = pendingConnect;
            pendingConnect = null;
            stale.channel().close();
        }
        connectIfIdle();
    }

    private void onClosed(Channel ch) {
        if (channel != ch) {
            return;
        }
        channel = null;
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
        boolean shortLived = System.nanoTime() - connectedAtNanos < STABLE_CONNECTION_NANOS;
        if (shortLived && !closed && ch != failureCounted && !watch.receiptSeen()) {
            config.counters().connectionFailures.increment();        // closed on us: most likely a refusal
            config.counters().warn(LOG, "closedByPeer:" + peerId, "{} connection to {} at {} was closed by the peer"
                    + " right after it opened: {} may refuse this node (a certificate that does not name {}, another"
                    + " cluster or group id); its log says why", config.local().nodeId(), peerId, address, peerId,
                    config.local().nodeId());
        }
        failures = shortLived ? failures + 1 : 0;
        // After a short-lived connection (say the peer refuses our handshake) the timer also gates sends that
        // arrive later, so a peer that keeps closing on us is retried with backoff, not at heartbeat rate.
        if (!closed && (failures > 0 || !queue.isEmpty())) {
            scheduleReconnect();
        }
    }

    /** Schedules the next dial one backoff after the start of the last one (at once if that has passed). */
    private void scheduleReconnect() {
        if (reconnectTimer != null || closed) {
            return;
        }
        long delay = Math.max(0, backoffNanos() - (System.nanoTime() - attemptStartNanos));
        reconnectTimer = loop.schedule(() -> {
            reconnectTimer = null;
            connectIfIdle();
        }, delay, TimeUnit.NANOSECONDS);
    }

    /** Exponential backoff from min to max by the number of failures, with up to half of it as random jitter. */
    private long backoffNanos() {
        long min = config.options().reconnectBackoffMin().toNanos();
        long max = config.options().reconnectBackoffMax().toNanos();
        long base = min;
        for (int i = 1; i < failures && base < max; i++) {
            base = Math.min(max, base * 2);
        }
        return base / 2 + jitter.nextLong(base / 2 + 1);
    }

    private void discardQueue(boolean count) {
        RaftMessage m;
        while ((m = queue.poll()) != null) {
            queued.decrementAndGet();
            if (count) {
                config.counters().dropped.increment();
            }
        }
    }

    /** Closes the connection and drops the queue. Idempotent; callable from any thread. */
    void close() {
        closed = true;
        try {
            loop.execute(() -> {
                discardQueue(false);
                if (channel != null) {
                    channel.close();
                }
            });
        } catch (RejectedExecutionException e) {
            // Documented ignore path: the event loop is already shut down, and with it this channel.
            LOG.debug("{} event loop already shut down at close", peerId);
        }
    }
}
