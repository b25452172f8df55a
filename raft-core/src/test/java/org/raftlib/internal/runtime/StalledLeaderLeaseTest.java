package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.ReadMode;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ForwardingTransport;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * A leader whose loop stalls (a GC pause, a starved CPU) for longer than its lease, cut off meanwhile, must not answer
 * a follower's lease read from the lease it held before the stall. An outside probe saw a lease read on a follower
 * return a value older than a write acknowledged before the read began: the leader's first turn after the stall
 * handled the follower's queued request before the tick that counts the missed time.
 */
class StalledLeaderLeaseTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "a"), Member.of("n2", "b"),
            Member.of("n3", "c"));

    private final LocalTransport.Hub hub = LocalTransport.hub(23);
    private final List<RaftNode> nodes = new ArrayList<>();
    private final List<Stalling> transports = new ArrayList<>();

    @AfterEach
    void closeAll() {
        transports.forEach(Stalling::release);
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void aLeaderStalledPastItsLeaseDoesNotAnswerAQueuedLeaseReadFromIt() throws Exception {
        for (int i = 0; i < 3; i++) {
            Stalling t = new Stalling(hub.transport());
            RaftNode node = RaftNode.builder().id(MEMBERS.get(i).id()).members(MEMBERS)
                    .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage()).transport(t)
                    .randomSeed(400 + i).options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(300))
                            .withHeartbeatInterval(Duration.ofMillis(30)))
                    .build();
            nodes.add(node);
            transports.add(t);
            node.start();
        }
        RaftNode old = awaitLeader(null);
        old.submit("a".getBytes(StandardCharsets.UTF_8)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Stalling stalled = transports.get(nodes.indexOf(old));
        NodeId follower = nodes.stream().filter(n -> n != old).findFirst().orElseThrow().id();
        long term = old.status().term();

        old.query("q".getBytes(StandardCharsets.UTF_8), ReadMode.LEASE).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        stalled.stall();                                     // its loop blocks in its next send, the lease still held
        stalled.awaitBlocked();
        hub.isolate(old.id());
        RaftNode next = awaitLeader(old);                    // an election timeout and more: past the old lease
        next.submit("b".getBytes(StandardCharsets.UTF_8)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        stalled.deliver(new ReadIndexRequest(follower, old.id(), term, 4242, true));
        stalled.release();

        Await.until("the old leader to step down", WAIT, () -> !old.status().isLeader());
        assertThat(stalled.sent).filteredOn(m -> m instanceof ReadIndexResponse r && r.requestId() == 4242)
                .as("no read index confirmed from the lease held before the stall")
                .noneMatch(m -> ((ReadIndexResponse) m).accepted());
        hub.heal();
    }

    private RaftNode awaitLeader(RaftNode other) {
        RaftNode[] leader = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            leader[0] = nodes.stream().filter(n -> n != other && n.status().isLeader()).findFirst().orElse(null);
            return leader[0] != null;
        });
        return leader[0];
    }

    /** Records what its node sends; {@link #stall()} blocks the node's loop in its next send until released. */
    private static final class Stalling extends ForwardingTransport {

        final List<RaftMessage> sent = new CopyOnWriteArrayList<>();
        private final CountDownLatch blocked = new CountDownLatch(1);
        private volatile CountDownLatch gate = new CountDownLatch(0);
        private Consumer<RaftMessage> inbound;

        Stalling(Transport delegate) {
            super(delegate);
        }

        @Override
        public void start(Member self, Consumer<RaftMessage> in) throws IOException {
            inbound = in;
            super.start(self, in);
        }

        @Override
        public void send(RaftMessage message) {
            CountDownLatch g = gate;
            if (g.getCount() > 0) {
                blocked.countDown();
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            sent.add(message);
            super.send(message);
        }

        void stall() {
            gate = new CountDownLatch(1);
        }

        void awaitBlocked() throws InterruptedException {
            assertThat(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the loop blocked").isTrue();
        }

        /** Hands {@code m} to the node as if it came over the network (queued while the loop is blocked). */
        void deliver(RaftMessage m) {
            inbound.accept(m);
        }

        void release() {
            gate.countDown();
        }
    }
}
