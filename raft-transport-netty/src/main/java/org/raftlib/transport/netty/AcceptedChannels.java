package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.raftlib.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the listening channel: counts accepted connections, and records each in a group once registered, so closing
 * the transport closes them explicitly. Netty 4.2's event loops do not close them when they shut down (the restart
 * tests found it), and a peer whose connection to a closed node stayed open would write into it unnoticed until that
 * node restarted on the same port.
 *
 * <p>Also keeps one inbound connection per peer id ({@link #claim}): a peer has only one connection to us, so a
 * second handshake naming it means the older connection is dead (the peer redialled, and its old socket's end never
 * reached us) or one of the two is not that peer. Keeping only the newest bounds what the peers that passed the
 * handshake can hold to one connection, and one frame buffer of at most {@code maxFrameBytes}, per member.
 *
 * <p>Bounds the connections not yet identified (their handshake has not named a peer) to
 * {@link #MAX_UNIDENTIFIED}: anyone who can reach the port can open them, and an outside probe held 300 such
 * connections to a node limited to 128 file descriptors, which then failed to create a file of its log and stopped.
 * Past the bound a new connection is closed at once ({@link Admission#FULL}); each unidentified one ends at its
 * handshake timeout. When accepting fails (the process is out of file descriptors), accepting pauses for a second
 * and a rate-limited WARN says why, instead of Netty's trace at the pipeline's tail every second.
 *
 * <p>Thread-safe: {@link #claim} and {@link #release} run on the event loops of the channels they name.
 */
@ChannelHandler.Sharable
final class AcceptedChannels extends ChannelInboundHandlerAdapter {

    /** The most connections that may wait for their handshake at once. */
    static final int MAX_UNIDENTIFIED = 64;

    private static final Logger LOG = LoggerFactory.getLogger(AcceptedChannels.class);
    private static final long ACCEPT_WARN_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** What {@link #track} did with a new connection. */
    enum Admission {
        /** Serve it. */
        SERVE,
        /** Closed: the transport is closing. */
        CLOSING,
        /** Closed: {@link #MAX_UNIDENTIFIED} connections wait for their handshake already. */
        FULL
    }

    private final ChannelGroup group;
    private final Set<Channel> unidentified = ConcurrentHashMap.newKeySet();
    /** The size of {@link #unidentified}, reserved before a channel joins it: the bound holds across event loops. */
    private final AtomicInteger unidentifiedCount = new AtomicInteger();
    private final AtomicLong lastAcceptWarn = new AtomicLong(System.nanoTime() - ACCEPT_WARN_NANOS);
    private final Map<NodeId, Channel> byPeer = new ConcurrentHashMap<>();
    private final LongAdder acceptedSoFar = new LongAdder();
    private volatile boolean closing;

    AcceptedChannels(ChannelGroup group) {
        this.group = group;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel) {
            acceptedSoFar.increment();
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Records an accepted connection once its event loop has registered it ({@link ServerInitializer}): the group
     * closes only registered channels (closing one not yet registered throws, and made {@code close} fail), and a
     * connection registered after {@link #closeAll}, or past {@link #MAX_UNIDENTIFIED}, is closed at once.
     */
    Admission track(Channel child) {
        group.add(child);
        if (closing) {
            child.close();
            return Admission.CLOSING;
        }
        if (unidentifiedCount.incrementAndGet() > MAX_UNIDENTIFIED) {
            unidentifiedCount.decrementAndGet();
            child.close();
            return Admission.FULL;
        }
        unidentified.add(child);
        child.closeFuture().addListener(f -> identified(child));
        return Admission.SERVE;
    }

    /** {@code channel} no longer waits for its handshake: it passed it, or closed. */
    private void identified(Channel channel) {
        if (unidentified.remove(channel)) {
            unidentifiedCount.decrementAndGet();
        }
    }

    /**
     * Accepting failed (out of file descriptors, say): pauses accepting for a second, as Netty's acceptor would, and
     * logs a WARN at most every 10 s.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        long now = System.nanoTime();
        long last = lastAcceptWarn.get();
        if (now - last >= ACCEPT_WARN_NANOS && lastAcceptWarn.compareAndSet(last, now)) {
            LOG.warn("cannot accept connections on {}: {} ({} connections wait for their handshake); retrying every"
                    + " second", ctx.channel().localAddress(), cause.toString(), unidentifiedCount.get());
        }
        ctx.channel().config().setAutoRead(false);
        ctx.channel().eventLoop().schedule(() -> {
            ctx.channel().config().setAutoRead(true);
        }, 1, TimeUnit.SECONDS);
    }

    /** Closes every connection recorded, and each one recorded from now on. */
    void closeAll() {
        closing = true;
        group.close();
    }

    /** Returns how many connections were accepted since the transport started. */
    long acceptedSoFar() {
        return acceptedSoFar.sum();
    }

    /**
     * Records {@code channel} as {@code peer}'s inbound connection, whose handshake was just accepted, and returns
     * the connection of {@code peer} it replaces (for the caller to close), or null.
     */
    Channel claim(NodeId peer, Channel channel) {
        identified(channel);
        Channel older = byPeer.put(peer, channel);
        return older == channel ? null : older;
    }

    /** Forgets {@code channel}, which closed, as {@code peer}'s connection, unless a newer one replaced it already. */
    void release(NodeId peer, Channel channel) {
        byPeer.remove(peer, channel);
    }
}
