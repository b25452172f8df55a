package org.raftlib.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.RaftMessage;

/** Volume and restart behaviour of three real transports on loopback. */
class NettyStressTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final List<NettyTransport> transports = new ArrayList<>();

    @AfterEach
    void closeAll() {
        transports.forEach(NettyTransport::close);
    }

    private NettyTransport newTransport() {
        NettyTransport t = NettyTransport.builder().clusterId("stress").groupId("g1")
                .options(TestNet.fastOptions().withOutboundQueueLimit(1 << 17)
                        // lossless delivery is checked, and a CPU-starved CI machine can delay receipts past the
                        // default stall timeout while three transports flood each other: not a stall
                        .withStallTimeout(Duration.ofSeconds(30))).build();
        transports.add(t);
        return t;
    }

    /** Checks, per sender, that numbers arrive as 1, 2, 3, ... with nothing lost, repeated or reordered. */
    private static final class OrderChecker {
        final Map<NodeId, AtomicLong> lastBySender = new ConcurrentHashMap<>();
        final Queue<String> errors = new ConcurrentLinkedQueue<>();
        final AtomicLong received = new AtomicLong();

        void accept(RaftMessage m) {
            long n = ((AppendEntries) m).leaderCommit();
            long last = lastBySender.computeIfAbsent(m.from(), k -> new AtomicLong()).getAndSet(n);
            if (n != last + 1) {
                errors.add(m.from() + ": got " + n + " after " + last);
            }
            received.incrementAndGet();
        }
    }

    private static AppendEntries numbered(NodeId from, NodeId to, long n) {
        LogEntry e = LogEntry.command(1, 1, Bytes.wrap(new byte[] {(byte) n, (byte) (n >> 8), 7, 7}));
        return new AppendEntries(from, to, 1, 0, 0, List.of(e), n);
    }

    @Test
    void threeTransportsExchangeOverHundredThousandMessagesInOrderWithoutLoss() throws Exception {
        int perLink = 17_000;   // 3 nodes x 2 peers x 17,000 = 102,000 messages
        List<Member> members = List.of(TestNet.loopbackMember("a"), TestNet.loopbackMember("b"),
                TestNet.loopbackMember("c"));
        List<NettyTransport> nodes = new ArrayList<>();
        List<OrderChecker> checkers = new ArrayList<>();
        for (Member m : members) {
            NettyTransport t = newTransport();
            OrderChecker checker = new OrderChecker();
            t.updatePeers(members.stream().filter(o -> !o.equals(m)).toList());
            t.start(m, checker::accept);
            nodes.add(t);
            checkers.add(checker);
        }
        long started = System.nanoTime();
        for (long n = 1; n <= perLink; n++) {
            for (Member from : members) {
                for (Member to : members) {
                    if (from != to) {
                        nodes.get(members.indexOf(from)).send(numbered(from.id(), to.id(), n));
                    }
                }
            }
        }
        await("every message", () -> checkers.stream().mapToLong(c -> c.received.get()).sum() == 6L * perLink);
        System.out.printf("102,000 messages in %d ms%n", (System.nanoTime() - started) / 1_000_000);

        for (int i = 0; i < nodes.size(); i++) {
            assertThat(checkers.get(i).errors).as("order at %s", members.get(i).id()).isEmpty();
            assertThat(nodes.get(i).metrics().dropped()).isZero();
            assertThat(nodes.get(i).metrics().messagesOut()).isEqualTo(2L * perLink);
        }
    }

    @Test
    void restartedPeerIsReconnectedWithoutIntervention() throws Exception {
        Member a = TestNet.loopbackMember("a");
        Member b = TestNet.loopbackMember("b");
        NettyTransport ta = newTransport();
        ta.updatePeers(List.of(b));
        ta.start(a, m -> { });
        Queue<RaftMessage> firstInbox = new ConcurrentLinkedQueue<>();
        NettyTransport tb = newTransport();
        tb.updatePeers(List.of(a));
        tb.start(b, firstInbox::add);
        AtomicLong next = new AtomicLong();
        sendUntilReceived(ta, a, b, next, firstInbox);

        tb.close();
        Queue<RaftMessage> secondInbox = new ConcurrentLinkedQueue<>();
        NettyTransport restarted = newTransport();
        restarted.updatePeers(List.of(a));
        restarted.start(b, secondInbox::add);

        sendUntilReceived(ta, a, b, next, secondInbox);
        assertThat(secondInbox).allSatisfy(m -> assertThat(m.from()).isEqualTo(a.id()));
    }

    /** Sends numbered messages every few milliseconds until one arrives, as a Raft leader's heartbeats would. */
    private static void sendUntilReceived(NettyTransport t, Member from, Member to, AtomicLong next,
            Queue<RaftMessage> inbox) {
        await("a message to reach " + to.id(), () -> {
            t.send(numbered(from.id(), to.id(), next.incrementAndGet()));
            LockSupport.parkNanos(5_000_000);
            return !inbox.isEmpty();
        });
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + DEADLINE + " waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * Closing while connections keep arriving: a connection accepted but not yet registered with its event loop made
     * close throw ("channel not registered to an event loop") and leave the event loops running.
     */
    @Test
    void closeWhileConnectionsArriveEndsCleanly() throws Exception {
        for (int round = 0; round < 20; round++) {
            NettyTransport t = newTransport();
            t.start(TestNet.loopbackMember("closing"), m -> { });
            int port = t.localAddress().getPort();
            AtomicBoolean dialling = new AtomicBoolean(true);
            Thread dialler = new Thread(() -> {
                while (dialling.get()) {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        s.setSoLinger(true, 0);
                    } catch (IOException e) {
                        // refused once the transport closed its port: dial again until told to stop
                    }
                }
            });
            dialler.start();
            try {
                long enough = 20 + 10L * round % 50;         // close at varied points of the storm
                await("connections to arrive", () -> t.acceptedConnections() >= enough);
                t.close();                                   // must not throw
            } finally {
                dialling.set(false);
                dialler.join();
            }
        }
        await("every closed transport's threads to end", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(th -> th.getName().startsWith("raft-g1-closing-io")));
    }
}
