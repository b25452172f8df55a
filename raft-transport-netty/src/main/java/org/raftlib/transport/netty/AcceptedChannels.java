package org.raftlib.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;

/**
 * On the listening channel: records every accepted connection in a group, so closing the transport closes them
 * explicitly. Netty 4.2's event loops do not close them when they shut down (the restart tests found it), and a
 * peer whose connection to a closed node stayed open would write into it unnoticed until that node restarted on the
 * same port.
 */
@ChannelHandler.Sharable
final class AcceptedChannels extends ChannelInboundHandlerAdapter {

    private final ChannelGroup group;

    AcceptedChannels(ChannelGroup group) {
        this.group = group;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel child) {
            group.add(child);
        }
        ctx.fireChannelRead(msg);
    }
}
