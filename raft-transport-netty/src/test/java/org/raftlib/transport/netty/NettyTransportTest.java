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
    void closeEndsEveryIoThread() throws Exception {
        List<Node> nodes = startCluster("closer", "other");
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 1));
        awaitCondition("delivery", () -> !nodes.get(1).inbox().isEmpty());

        nodes.get(0).transport().close();

        awaitCondition("closer's threads to end", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("raft-g1-closer-io")));
    }

    @Test
    void refusedPeerIsRetriedWithBackoffNotOnEverySend() throws Exception {
        Member a = memberFor("a");
        Member b = memberFor("b");
        Transport ta = track(newTransport());
        Transport tb = track(newTransport());
        ta.updatePeers(List.of(b));
        ta.start(a, m -> { });
        tb.start(b, m -> { });   // b's address book is empty: it refuses a as an unknown peer

        long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline) {
            ta.send(new TimeoutNow(a.id(), b.id(), 1));
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }

        long refusals = ((NettyTransport) tb).metrics().rejected(NettyTransportMetrics.RejectReason.UNKNOWN_PEER);
        assertThat(refusals).as("connections in 300 ms with backoff from 5 ms doubling to 100 ms")
                .isBetween(1L, 25L);
    }

    @Test
    void sendToAnUnknownPeerIsCountedAsDropped() throws Exception {
        List<Node> nodes = startCluster("a");
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), org.raftlib.NodeId.of("zz"), 1));

        assertThat(((NettyTransport) nodes.get(0).transport()).metrics().dropped()).isEqualTo(1);
    }
}
