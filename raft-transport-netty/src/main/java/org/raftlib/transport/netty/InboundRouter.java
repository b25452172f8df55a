package org.raftlib.transport.netty;

import java.util.function.Consumer;
import java.util.function.Predicate;
import org.raftlib.NodeId;
import org.raftlib.message.RaftMessage;

/**
 * What every inbound connection of one started transport shares: who this node is, which peers may connect, where
 * accepted messages go, and the counters.
 *
 * @param local this node's cluster, group, id and protocol version, which every handshake and envelope must match
 * @param isKnownPeer whether a node id is in the current address book
 * @param consumer the inbound consumer given to {@code start}
 * @param counters the transport's counters
 * @param options the transport's options
 * @param identity checks that a TLS peer's certificate names the node of its handshake
 * @param peerConnected told, on the event loop, the id of each peer whose handshake was accepted: the path from that
 *     peer works, so a dial of ours to it that waits can go now
 * @param accepted the open inbound connections, one per peer id
 */
record InboundRouter(
        ProtoMapper.Hello local,
        Predicate<NodeId> isKnownPeer,
        Consumer<RaftMessage> consumer,
        TransportCounters counters,
        NettyTransportOptions options,
        PeerIdentityVerifier identity,
        Consumer<NodeId> peerConnected,
        AcceptedChannels accepted) {
}
