package org.raftlib.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/**
 * The rules every {@link Transport} follows. A transport's test extends this class and supplies fresh transports
 * and member addresses; every transport it creates is closed after each test.
 *
 * <p>Waits poll a condition until a deadline ({@link #awaitCondition}); there are no fixed sleeps.
 */
public abstract class TransportContract {

    /** How long a test waits for a message that should arrive. */
    protected static final Duration DEADLINE = Duration.ofSeconds(10);

    private static final long POLL_NANOS = 1_000_000;

    private final List<Transport> created = new ArrayList<>();

    /**
     * Returns a new, unstarted transport. The contract closes it after the test.
     *
     * @return the transport
     * @throws Exception if the transport cannot be created
     */
    protected abstract Transport newTransport() throws Exception;

    /**
     * Returns a member with {@code id} and an address a transport can listen on now, such as a free loopback port.
     *
     * @param id the node id
     * @return the member
     * @throws Exception if no address can be found
     */
    protected abstract Member memberFor(String id) throws Exception;

    @AfterEach
    void closeTransports() {
        created.forEach(Transport::close);
        created.clear();
    }

    /** Creates a transport that is closed after the test. */
    protected final Transport track(Transport t) {
        created.add(t);
        return t;
    }

    /** Polls {@code condition} until it holds, failing with {@code what} at the deadline. */
    protected static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + DEADLINE + " waiting for " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** A started transport and everything it received. */
    protected record Node(Member member, Transport transport, Queue<RaftMessage> inbox) {

        /** Returns the node's id. */
        public NodeId id() {
            return member.id();
        }
    }

    /** Starts one node per id, each with every other as a peer. */
    protected final List<Node> startCluster(String... ids) throws Exception {
        List<Member> members = new ArrayList<>();
        for (String id : ids) {
            members.add(memberFor(id));
        }
        List<Node> nodes = new ArrayList<>();
        for (Member m : members) {
            Transport t = track(newTransport());
            t.updatePeers(members.stream().filter(o -> !o.equals(m)).collect(Collectors.toList()));
            Queue<RaftMessage> inbox = new ConcurrentLinkedQueue<>();
            t.start(m, inbox::add);
            nodes.add(new Node(m, t, inbox));
        }
        return nodes;
    }

    /** Returns a heartbeat from {@code from} to {@code to} whose commit index numbers it. */
    protected static AppendEntries heartbeat(NodeId from, NodeId to, long number) {
        return new AppendEntries(from, to, 1, 0, 0, List.of(), number);
    }

    @Test
    void deliversAMessageBetweenTwoTransports() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        RaftMessage m = new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 3);

        nodes.get(0).transport().send(m);

        awaitCondition("b to receive the message", () -> !nodes.get(1).inbox().isEmpty());
        assertThat(nodes.get(1).inbox()).containsExactly(m);
    }

    @Test
    void deliversBetweenEveryPairOfThreeTransports() throws Exception {
        List<Node> nodes = startCluster("a", "b", "c");
        for (Node from : nodes) {
            for (Node to : nodes) {
                if (from != to) {
                    from.transport().send(new TimeoutNow(from.id(), to.id(), 1));
                }
            }
        }
        for (Node to : nodes) {
            awaitCondition(to.id() + " to receive from both peers", () -> to.inbox().size() == 2);
            assertThat(to.inbox()).extracting(RaftMessage::from)
                    .containsExactlyInAnyOrderElementsOf(
                            nodes.stream().map(Node::id).filter(id -> !id.equals(to.id())).toList());
        }
    }

    @Test
    void preservesOrderPerPeer() throws Exception {
        List<Node> nodes = startCluster("a", "b", "c");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        Node c = nodes.get(2);
        int count = 2_000;
        for (int i = 1; i <= count; i++) {
            a.transport().send(heartbeat(a.id(), c.id(), i));
            b.transport().send(heartbeat(b.id(), c.id(), i));
        }
        awaitCondition("c to receive " + 2 * count + " messages", () -> c.inbox().size() == 2 * count);
        for (Node from : List.of(a, b)) {
            List<Long> numbers = c.inbox().stream().filter(m -> m.from().equals(from.id()))
                    .map(m -> ((AppendEntries) m).leaderCommit()).toList();
            assertThat(numbers).as("messages from %s", from.id()).isSorted().hasSize(count);
        }
    }

    @Test
    void roundTripsEveryMessageTypeEqual() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        List<RaftMessage> all = everyMessageType(nodes.get(0).id(), nodes.get(1).id());

        all.forEach(nodes.get(0).transport()::send);

        awaitCondition("every message type to arrive", () -> nodes.get(1).inbox().size() == all.size());
        assertThat(nodes.get(1).inbox()).containsExactlyElementsOf(all);
    }

    /** One message of every type, with every field set to a non-default value where it may be. */
    public static List<RaftMessage> everyMessageType(NodeId from, NodeId to) {
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        List<LogEntry> entries = List.of(
                new LogEntry(4, 11, EntryType.NO_OP, Bytes.EMPTY),
                new LogEntry(5, 12, EntryType.COMMAND, Bytes.copyOf(new byte[] {1, 2, 3, -1})),
                new LogEntry(5, 13, EntryType.CONFIGURATION, Bytes.wrap(ClusterConfig.ofVoters(List.of(
                        Member.of("n1", "h1:1"), Member.of("n2", "h2:1"), Member.of("n3", "h3:1"))).encode())),
                new LogEntry(6, 14, EntryType.COMMAND, Bytes.wrap(big)),
                new LogEntry(6, 15, EntryType.SESSION, Bytes.copyOf(new byte[] {1, 0, 9})));
        return List.of(
                new RequestVote(from, to, 7, 14, 6, true, true),
                new RequestVote(from, to, 1, 0, 0, false, false),
                new RequestVoteResponse(from, to, 7, true, true),
                new RequestVoteResponse(from, to, 0, false, false),
                new AppendEntries(from, to, 6, 10, 3, entries, 9),
                new AppendEntries(from, to, Long.MAX_VALUE, Long.MAX_VALUE - 1, 2, List.of(), Long.MAX_VALUE),
                AppendEntriesResponse.accepted(from, to, 6, 14),
                AppendEntriesResponse.rejected(from, to, 6, 10, 2, 8),
                new AppendEntries(from, to, 6, 14, 6, List.of(), 13, 42),
                new AppendEntries(from, to, 6, 14, 6, List.of(), 13, Long.MAX_VALUE),
                AppendEntriesResponse.accepted(from, to, 6, 14, 42),
                AppendEntriesResponse.rejected(from, to, 6, 10, 2, 8, Long.MAX_VALUE),
                AppendEntriesResponse.rejectedStaleTerm(from, to, 7),
                new InstallSnapshot(from, to, 9, 100, 8, 4096, Bytes.copyOf(big), false),
                new InstallSnapshot(from, to, 9, 100, 8, 0, Bytes.EMPTY, true),
                new InstallSnapshotResponse(from, to, 9, 100, 8192, true),
                new TimeoutNow(from, to, 9),
                new ReadIndexRequest(from, to, 9, 77, true),
                new ReadIndexRequest(from, to, 0, Long.MAX_VALUE, false),
                new ReadIndexResponse(from, to, 9, 77, true, 1234),
                new ReadIndexResponse(from, to, 10, 78, false, 0),
                new ForwardProposal(from, to, 9, 5, EntryType.COMMAND, Bytes.wrap(big)),
                new ForwardProposal(from, to, 9, 6, EntryType.SESSION, Bytes.EMPTY),
                new ForwardProposalResponse(from, to, 9, 5, ForwardProposalResponse.Outcome.APPENDED, 15, 9),
                new ForwardProposalResponse(from, to, 9, 6, ForwardProposalResponse.Outcome.NOT_LEADER, 0, 0),
                new ForwardProposalResponse(from, to, 9, 7, ForwardProposalResponse.Outcome.OVERLOADED, 0, 0));
    }

    @Test
    void sendToAnUnknownPeerDoesNotThrow() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        Transport a = nodes.get(0).transport();

        assertThatCode(() -> a.send(new TimeoutNow(nodes.get(0).id(), NodeId.of("nobody"), 1)))
                .doesNotThrowAnyException();
        a.send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 2));
        awaitCondition("b to still receive", () -> !nodes.get(1).inbox().isEmpty());
    }

    @Test
    void sendToAPeerThatIsDownDoesNotThrow() throws Exception {
        Member down = memberFor("down");
        List<Node> nodes = startCluster("a");
        nodes.get(0).transport().updatePeers(List.of(down));

        assertThatCode(() -> {
            for (int i = 0; i < 100; i++) {
                nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), down.id(), 1));
            }
        }).doesNotThrowAnyException();
    }

    @Test
    void sendAfterCloseDoesNotThrow() throws Exception {
        List<Node> nodes = startCluster("a", "b");
        nodes.get(0).transport().close();

        assertThatCode(() -> nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 1)))
                .doesNotThrowAnyException();
    }

    @Test
    void sendBeforeStartDoesNotThrow() throws Exception {
        Transport t = track(newTransport());

        assertThatCode(() -> t.send(new TimeoutNow(NodeId.of("a"), NodeId.of("b"), 1))).doesNotThrowAnyException();
    }

    @Test
    void closeIsIdempotent() throws Exception {
        List<Node> nodes = startCluster("a");
        Transport t = nodes.get(0).transport();

        t.close();

        assertThatCode(t::close).doesNotThrowAnyException();
    }

    @Test
    void closeWithoutStartIsAllowed() throws Exception {
        Transport t = track(newTransport());

        assertThatCode(() -> {
            t.close();
            t.close();
        }).doesNotThrowAnyException();
    }

    @Test
    void startingTwiceThrowsIllegalState() throws Exception {
        List<Node> nodes = startCluster("a");
        Node a = nodes.get(0);

        assertThatThrownBy(() -> a.transport().start(a.member(), m -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void startingAfterCloseThrowsIllegalState() throws Exception {
        Transport t = track(newTransport());
        t.close();
        Member m = memberFor("a");

        assertThatThrownBy(() -> t.start(m, msg -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closedTransportReceivesNothingAndOthersKeepWorking() throws Exception {
        List<Node> nodes = startCluster("a", "b", "c");
        nodes.get(1).transport().close();

        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(1).id(), 1));
        nodes.get(0).transport().send(new TimeoutNow(nodes.get(0).id(), nodes.get(2).id(), 1));

        awaitCondition("c to receive", () -> !nodes.get(2).inbox().isEmpty());
        assertThat(nodes.get(1).inbox()).isEmpty();
    }

    @Test
    void updatePeersAfterStartAddsAPeer() throws Exception {
        Member a = memberFor("a");
        Member b = memberFor("b");
        Transport ta = track(newTransport());
        Transport tb = track(newTransport());
        Queue<RaftMessage> inboxB = new ConcurrentLinkedQueue<>();
        ta.start(a, m -> { });
        tb.updatePeers(List.of(a));
        tb.start(b, inboxB::add);

        ta.updatePeers(List.of(b));
        ta.send(new TimeoutNow(a.id(), b.id(), 5));

        awaitCondition("b to receive after a learned its address", () -> !inboxB.isEmpty());
        assertThat(inboxB).containsExactly(new TimeoutNow(a.id(), b.id(), 5));
    }

    @Test
    void updatePeersBeforeStartIsUsed() throws Exception {
        List<Node> nodes = startCluster("a", "b");

        nodes.get(1).transport().send(new TimeoutNow(nodes.get(1).id(), nodes.get(0).id(), 5));

        awaitCondition("a to receive", () -> !nodes.get(0).inbox().isEmpty());
    }
}
