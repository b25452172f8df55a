package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.TimeoutNow;
import org.raftlib.testkit.RecordingStateMachine;
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
    void memberAddressesMustBeHostAndPortWithIpv6InBrackets() {
        NettyTransport t = NettyTransport.builder().build();
        for (String good : List.of("127.0.0.1:7001", "localhost:1", "db-1.example.com:65535", "[::1]:9000",
                "[2001:db8::7]:7001")) {
            assertThatCode(() -> t.checkAddress(good)).as(good).doesNotThrowAnyException();
        }
        for (String bad : List.of("", "host", "host:", ":7001", "host:0", "host:65536", "host:-1", "host:+80",
                "host:7001x", "::1:9000", "[::1]", "[::1:9000", "[]:9000", "[host]:9000", "a b:80", "host/x:80")) {
            assertThatThrownBy(() -> t.checkAddress(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        // Addresses also arrive in configuration entries from the leader: quoted, escaped and cut short.
        assertThatThrownBy(() -> t.checkAddress("h\n11:11:11.111 ERROR x:1" + "0".repeat(60_000)))
                .hasMessageEndingWith("'h\\n11:11:11.111 ERROR x:1" + "0".repeat(40) + "'... (60024 characters)");
    }

    @Test
    void raftNodeBuilderNamesTheMemberWithABadAddress() {
        RaftNodeBuilder b = RaftNode.builder().id("n1").members(Member.of("n1", "127.0.0.1:7001"),
                Member.of("n2", "127.0.0.1:70001"), Member.of("n3", "[::1]:7003"))
                .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage())
                .transport(NettyTransport.builder().build());
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("member n2 has a bad address '127.0.0.1:70001'")
                .hasMessageContaining("port from 1 to 65535")
                .message().doesNotContain("member n1").doesNotContain("member n3");
    }

    /** A taken port is named with the reason; it read only "cannot listen on ..." (an outside probe). */
    @Test
    void aPortInUseIsRefusedNamingTheReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            NettyTransport t = NettyTransport.builder().build();
            assertThatThrownBy(() -> t.start(Member.of("n1", "127.0.0.1:" + taken.getLocalPort()), m -> { }))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("n1 cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .hasMessageContaining("in use");
        }
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
        // b listens first: a dials at once, and its connection's ephemeral source port could otherwise take b's port
        tb.start(b, m -> { });   // b's address book is empty: it refuses a as an unknown peer
        ta.updatePeers(List.of(b));
        ta.start(a, m -> { });

        long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline) {
            ta.send(new TimeoutNow(a.id(), b.id(), 1));
            LockSupport.parkNanos(1_000_000);
        }

        long refusals = ((NettyTransport) tb).metrics().rejected(NettyTransportMetrics.RejectReason.UNKNOWN_PEER);
        assertThat(refusals).as("connections in 300 ms with backoff from 5 ms doubling to 100 ms")
                .isBetween(1L, 25L);
    }

    /**
     * Two processes started as the same node keep displacing each other's connection (the newest wins): the node they
     * reach says so at WARN. Before, only the twins logged reconnects, and the node reached logged nothing above DEBUG
     * (an outside probe).
     */
    @Test
    void twoProcessesAsOneNodeAreNamedAtWarn() throws Exception {
        Member a = memberFor("a");
        Member b1 = memberFor("b");
        Member b2 = Member.of("b", memberFor("b-twin").address());
        Transport ta = track(newTransport());
        Transport twin1 = track(newTransport());
        Transport twin2 = track(newTransport());
        ta.updatePeers(List.of(b1));
        ta.start(a, m -> { });
        for (Transport t : List.of(twin1, twin2)) {
            t.updatePeers(List.of(a));
        }
        twin1.start(b1, m -> { });
        twin2.start(b2, m -> { });
        try (LogCapture log = new LogCapture()) {
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline && !log.text().contains("two processes may run as node b")) {
                twin1.send(new TimeoutNow(b1.id(), a.id(), 1));
                twin2.send(new TimeoutNow(b2.id(), a.id(), 1));
                LockSupport.parkNanos(5_000_000);
            }
            assertThat(log.text()).contains("WARN").contains("a took a connection from b at")
                    .contains("two processes may run as node b");
        }
    }

    @Test
    void messageAboveMaxFrameBytesIsDroppedAndLaterOnesStillFlow() throws Exception {
        Member a = memberFor("a");
        Member b = memberFor("b");
        NettyTransportOptions small = TestNet.fastOptions().withMaxFrameBytes(1024);
        NettyTransport ta = (NettyTransport) track(NettyTransport.builder().clusterId("contract").groupId("g1")
                .options(small).build());
        NettyTransport tb = (NettyTransport) track(NettyTransport.builder().clusterId("contract").groupId("g1")
                .options(small).build());
        Queue<RaftMessage> inboxB = new ConcurrentLinkedQueue<>();
        ta.updatePeers(List.of(b));
        tb.updatePeers(List.of(a));
        ta.start(a, m -> { });
        tb.start(b, inboxB::add);

        ta.send(new InstallSnapshot(a.id(), b.id(), 2, 10, 1, 0,
                Bytes.wrap(new byte[4096]), true));
        ta.send(new TimeoutNow(a.id(), b.id(), 2));

        awaitCondition("the small message", () -> !inboxB.isEmpty());
        assertThat(inboxB).containsExactly(new TimeoutNow(a.id(), b.id(), 2));
        assertThat(ta.metrics().dropped()).isEqualTo(1);
        assertThat(tb.metrics().rejectedTotal()).isZero();
    }

    @Test
    void peerRemovedFromTheAddressBookIsCutOff() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        a.transport().send(new TimeoutNow(a.id(), b.id(), 1));
        awaitCondition("first delivery", () -> b.inbox().size() == 1);

        b.transport().updatePeers(List.of());
        a.transport().send(new TimeoutNow(a.id(), b.id(), 2));

        awaitCondition("b to refuse a", () -> ((NettyTransport) b.transport()).metrics()
                .rejected(NettyTransportMetrics.RejectReason.UNKNOWN_PEER) == 1);
        assertThat(b.inbox()).hasSize(1);
    }

    @Test
    void sendToAnUnknownPeerIsCountedAsDropped() throws Exception {
        List<Node> nodes = startCluster("a");
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), NodeId.of("zz"), 1));

        assertThat(((NettyTransport) nodes.get(0).transport()).metrics().dropped()).isEqualTo(1);
    }
}
