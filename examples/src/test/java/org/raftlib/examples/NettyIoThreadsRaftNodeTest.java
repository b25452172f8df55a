package org.raftlib.examples;

import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.transport.netty.NettyTransport;
import org.raftlib.transport.netty.NettyTransportOptions;

/**
 * The {@link org.raftlib.testkit.RaftNodeContract} over Netty with two I/O threads: the transport then offers no loop
 * executor, and each node runs its loop on a thread of its own (the default, one I/O thread, runs it on the event
 * loop; {@link NettyFileRaftNodeTest}).
 */
class NettyIoThreadsRaftNodeTest extends NettyFileRaftNodeTest {

    @Override
    protected Transport transport(NodeId id) {
        return NettyTransport.builder().clusterId("contract")
                .options(NettyTransportOptions.defaults().withIoThreads(2)).build();
    }
}
