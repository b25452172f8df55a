package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.Transport;
import org.raftlib.message.TimeoutNow;
import org.raftlib.testkit.TransportContract;

class NettyTransportTest extends TransportContract {

    @Override
    protected Transport newTransport() {
        return NettyTransport.builder().clusterId("contract").groupId("g1").options(TestNet.fastOptions()).build();
    }

    @Override
    protected Member memberFor(String id) throws Exception {
        return TestNet.loopbackMember(id);
    }

    @Test
    void countsMessagesAndBytesBothWays() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 1));
        awaitCondition("delivery", () -> !nodes.get(1).inbox().isEmpty());

        NettyTransportMetrics out = ((NettyTransport) nodes.get(0).transport()).metrics();
        NettyTransportMetrics in = ((NettyTransport) nodes.get(1).transport()).metrics();
        assertThat(out.messagesOut()).isEqualTo(1);
        assertThat(in.messagesIn()).isEqualTo(1);
        assertThat(in.bytesIn()).isEqualTo(out.bytesOut()).isPositive();
        assertThat(in.rejectedTotal()).isZero();
    }

    @Test
    void sendToAnUnknownPeerIsCountedAsDropped() throws Exception {
        List<Node> nodes = startCluster("a");
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), org.raftlib.NodeId.of("zz"), 1));

        assertThat(((NettyTransport) nodes.get(0).transport()).metrics().dropped()).isEqualTo(1);
    }
}
