package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.raftlib.NodeId;

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
 * <p>Thread-safe: {@link #claim} and {@link #release} run on the event loops of the channels they name.
 */
@ChannelHandler.Sharable
final class AcceptedChannels extends ChannelInboundHandlerAdapter {

    private final ChannelGroup group;
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
     * connection registered after {@link #closeAll} is closed at once.
     */
    void track(Channel child) {
        group.add(child);
        if (closing) {
            child.close();
        }
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
        Channel older = byPeer.put(peer, channel);
        return older == channel ? null : older;
    }

    /** Forgets {@code channel}, which closed, as {@code peer}'s connection, unless a newer one replaced it already. */
    void release(NodeId peer, Channel channel) {
        byPeer.remove(peer, channel);
    }
}
