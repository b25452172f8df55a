package org.raftlib.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one outbound connection to one peer: a bounded queue filled by {@code send} on any thread, drained on the
 * connection's event loop, which opens the TCP connection lazily, writes the handshake first, writes every queued
 * message without flushing and flushes once per batch, and reconnects with exponential backoff and jitter.
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
    private boolean connecting;              // loop
    private boolean reconnectScheduled;      // loop
    private int failures;                    // loop: consecutive failed or short-lived connections
    private long connectedAtNanos;           // loop

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
        this.bootstrap = new Bootstrap()
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
                        ch.pipeline().addLast("client", new ClientHandler(PeerConnection.this, config.identity()));
                    }
                });
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
        config.counters().messagesOut.increment();
        config.counters().bytesOut.add(bytes);
        return true;
    }

    private void connectIfIdle() {
        if (connecting || reconnectScheduled || closed || queue.isEmpty()) {
            return;
        }
        connecting = true;
        bootstrap.connect().addListener((ChannelFuture f) -> onConnect(f));
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
        connecting = false;
        if (closed) {
            f.channel().close();
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
        ch.writeAndFlush(ProtoMapper.encodeHandshake(ch.alloc(), config.local()), ch.voidPromise());
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

    private void onClosed(Channel ch) {
        if (channel != ch) {
            return;
        }
        channel = null;
        failures = System.nanoTime() - connectedAtNanos < STABLE_CONNECTION_NANOS ? failures + 1 : 0;
        // After a short-lived connection (say the peer refuses our handshake) the timer also gates sends that
        // arrive later, so a peer that keeps closing on us is retried with backoff, not at heartbeat rate.
        if (!closed && (failures > 0 || !queue.isEmpty())) {
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        if (reconnectScheduled || closed) {
            return;
        }
        reconnectScheduled = true;
        loop.schedule(() -> {
            reconnectScheduled = false;
            connectIfIdle();
        }, backoffNanos(), TimeUnit.NANOSECONDS);
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
