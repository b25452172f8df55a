package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.NodeState;
import org.raftlib.OverloadedException;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftFailedException;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftNodeBuilder;
import org.raftlib.RaftOptions;
import org.raftlib.RaftRole;
import org.raftlib.RaftStatus;
import org.raftlib.ReadMode;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.message.RaftMessage;
import org.raftlib.local.ForwardingLogStorage;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.ForwardingTransport;
import org.raftlib.testkit.RecordingStateMachine;
import org.raftlib.testkit.SnapshotStateMachine;

/** Bad input and failures at the public API, on a single-member group (it elects itself). */
class RaftNodeApiTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Member N1 = Member.of("n1", "local-1");

    private final LocalTransport.Hub hub = LocalTransport.hub(7);
    private RaftNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
        hub.close();
    }

    private RaftNodeBuilder builder(StateMachine sm, InMemoryLogStorage storage) {
        return RaftNode.builder().id("n1").members(N1).stateMachine(sm).logStorage(storage)
                .transport(hub.transport()).randomSeed(1)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
                        .withHeartbeatInterval(Duration.ofMillis(20)));
    }

    private RaftNode startLeader(StateMachine sm, InMemoryLogStorage storage) throws IOException {
        node = builder(sm, storage).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        return node;
    }

    /**
     * Builds {@link #node} and starts it on another thread, returning once {@code start()} waits in the storage's
     * {@code bind} (its first step) until {@code release}; the future completes when {@code start()} returns.
     */
    private CompletableFuture<Void> startWaitingInBind(CountDownLatch release) throws InterruptedException {
        CountDownLatch binding = new CountDownLatch(1);
        InMemoryLogStorage storage = new InMemoryLogStorage();
        node = builder(new RecordingStateMachine(), storage).logStorage(bindingSlowly(storage, binding, release))
                .build();
        CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
            try {
                node.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(binding.await(5, TimeUnit.SECONDS)).isTrue();
        return started;
    }

    /** {@code storage} whose {@code bind} (the first step of {@code start()}) counts down {@code binding} and waits. */
    private static LogStorage bindingSlowly(LogStorage storage, CountDownLatch binding, CountDownLatch release) {
        return new ForwardingLogStorage(storage) {
            @Override
            public void bind(NodeId self) throws IOException {
                binding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.bind(self);
            }
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A node started on the storage another node used (a data directory of the wrong host) refuses to start, naming
     * both, and leaves the storage to its node; before, n2 ran with n1's vote and log.
     */
    @Test
    void aNodeRefusesToStartOnTheStorageOfAnotherNode() throws Exception {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        startLeader(new RecordingStateMachine(), storage).submit(bytes("x")).get(10, TimeUnit.SECONDS);
        InMemoryLogStorage n1Disk = storage.crashCopy();
        InMemoryLogStorage copied = storage.crashCopy();
        node.close();

        RaftNode n2 = RaftNode.builder().id("n2").members(Member.of("n2", "local-2"))
                .stateMachine(new RecordingStateMachine()).logStorage(copied).transport(hub.transport()).build();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(n2::start).isInstanceOf(IOException.class)
                    .hasMessageContaining("belongs to node n1, not to n2");
        } finally {
            System.setErr(err);
        }
        assertThat(n2.status().state()).isEqualTo(NodeState.FAILED);
        assertThat(captured.toString(StandardCharsets.UTF_8)).as("start() throws it: one line, no trace (a probe read a"
                + " 20-line trace before the application's own message)").contains("n2 could not start: ")
                .doesNotContain("\tat ").doesNotContain("ERROR");

        RecordingStateMachine again = new RecordingStateMachine();
        startLeader(again, n1Disk);
        Await.until("n1 to apply its log again", WAIT, () -> again.applied().equals(List.of("x")));
    }

    @Test
    void builderReportsEveryProblemAtOnce() {
        RaftNodeBuilder b = RaftNode.builder().id("n9").members(N1, Member.of("n1", "local-1"))
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(50))
                        .withHeartbeatInterval(Duration.ofMillis(40)));
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stateMachine is missing")
                .hasMessageContaining("logStorage is missing")
                .hasMessageContaining("transport is missing")
                .hasMessageContaining("member id n1 appears twice")
                .hasMessageContaining("address local-1 is used by two members")
                .hasMessageContaining("id n9 is not among the members")
                .hasMessageContaining("electionTimeout (PT0.05S) must be at least 2 × heartbeatInterval (PT0.04S)");
        assertThatThrownBy(() -> RaftNode.builder().build()).hasMessageContaining("id is missing")
                .hasMessageContaining("members are missing");
        assertThatThrownBy(() -> RaftNode.builder().id("n1").members((Member[]) null).build())
                .as("a null array is reported by build(), like a null collection (a bare NPE before)")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("members are missing");
    }

    /** The node owns its parts: a build that fails closes them (an inline FileLogStorage stayed locked). */
    @Test
    void aFailedBuildClosesTheStorageItWasGiven() {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        RaftNodeBuilder b = RaftNode.builder().id("n1").members(N1).logStorage(storage).transport(hub.transport());
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stateMachine is missing");
        assertThatThrownBy(storage::lastIndex).isInstanceOf(IllegalStateException.class);
    }

    /**
     * A builder builds one node: a second build() throws and closes nothing (found by a probe: a second build() made
     * a node sharing the first one's storage, transport and state machine, and a failing one closed them, after which
     * the first node's start() threw an undocumented "... is closed").
     */
    @Test
    void aBuilderBuildsOneNodeAndASecondBuildClosesNothing() throws Exception {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        RaftNodeBuilder b = builder(new RecordingStateMachine(), storage);
        node = b.build();

        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a builder builds one node");
        assertThatThrownBy(() -> b.id("zz").build()).as("even one that would fail: it closed the first node's parts")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("a builder builds one node");
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        assertThat(node.submit(bytes("a")).get(5, TimeUnit.SECONDS)).isNotEmpty();

        RaftNodeBuilder failed = RaftNode.builder().id("n2");
        assertThatThrownBy(failed::build).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(failed::build).as("a failed build closed its parts: no retry with them")
                .isInstanceOf(IllegalStateException.class);
    }

    /** A null member is named (it was a NullPointerException with the message "null"). */
    @Test
    void changeMembershipNamesTheArgumentHoldingANullMember() {
        node = builder(new RecordingStateMachine(), new InMemoryLogStorage()).build();
        assertThatThrownBy(() -> node.changeMembership(Arrays.asList(N1, null), List.of()))
                .isInstanceOf(NullPointerException.class).hasMessageStartingWith("voters holds a null member");
        assertThatThrownBy(() -> node.changeMembership(List.of(N1), Arrays.asList((Member) null)))
                .isInstanceOf(NullPointerException.class).hasMessageStartingWith("learners holds a null member");
        assertThatThrownBy(() -> node.changeMembership(null, List.of())).hasMessage("voters");
    }

    /**
     * A transport or store serves one node: a second node given a running node's part fails to build or start and
     * leaves the part alone (its failed start closed the shared transport, and two nodes could write one log).
     */
    @Test
    void aSecondNodeCannotTakeTheTransportOrStorageOfARunningNode() throws Exception {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        Transport transport = hub.transport();
        RaftNode later = RaftNode.builder().id("n2").members(Member.of("n2", "local-2"))
                .stateMachine(new RecordingStateMachine()).logStorage(storage).transport(hub.transport()).build();
        node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(storage).transport(transport).randomSeed(1).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());

        assertThatThrownBy(later::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("n2 cannot start: its log storage is in use by node n1");
        assertThat(later.status().state()).isEqualTo(NodeState.FAILED);
        later.close();
        assertThatThrownBy(() -> RaftNode.builder().id("n3").members(Member.of("n3", "local-3"))
                .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage()).transport(transport)
                .build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transport is in use by running node n1");
        assertThatThrownBy(() -> RaftNode.builder().id("n3").members(Member.of("n3", "local-3"))
                .logStorage(storage).transport(hub.transport()).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logStorage is in use by running node n1");

        assertThat(node.submit(bytes("still")).get(5, TimeUnit.SECONDS)).as("n1 keeps its transport and log")
                .isNotEmpty();
        assertThat(node.status().isLeader()).isTrue();
        node.close();
        node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).randomSeed(1).build();
        node.start();
        Await.until("a new n1 to lead once the first has closed", WAIT, () -> node.status().isLeader());
    }

    /**
     * A state machine serves one node too: two nodes given one instance applied every command twice, from two threads
     * at once, against its single-thread contract (outside probe). The second fails to build or start.
     */
    @Test
    void aSecondNodeCannotTakeTheStateMachineOfARunningNode() throws Exception {
        RecordingStateMachine shared = new RecordingStateMachine();
        RaftNode later = RaftNode.builder().id("n2").members(Member.of("n2", "local-2")).stateMachine(shared)
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).build();
        node = RaftNode.builder().id("n1").members(N1).stateMachine(shared).logStorage(new InMemoryLogStorage())
                .transport(hub.transport()).randomSeed(1).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());

        assertThatThrownBy(later::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("n2 cannot start: its state machine is in use by node n1");
        later.close();
        assertThatThrownBy(() -> RaftNode.builder().id("n3").members(Member.of("n3", "local-3")).stateMachine(shared)
                .logStorage(new InMemoryLogStorage()).transport(hub.transport()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stateMachine is in use by running node n1");
        node.submit(bytes("once")).get(5, TimeUnit.SECONDS);
        assertThat(shared.applied()).containsOnlyOnce("once");
    }

    @Test
    void builderChecksEveryMemberAddressWithTheTransport() {
        Transport picky = new ForwardingTransport(hub.transport()) {
            @Override
            public void checkAddress(String address) {
                if (!address.startsWith("local-")) {
                    throw new IllegalArgumentException("not a local address");
                }
            }
        };
        RaftNodeBuilder b = RaftNode.builder().id("n1").members(N1, Member.of("n2", "remote:1"), Member.of("n3", "x"))
                .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage()).transport(picky);
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("member n2 has a bad address 'remote:1': not a local address")
                .hasMessageContaining("member n3 has a bad address 'x': not a local address")
                .message().doesNotContain("member n1");
    }

    @Test
    void builderRefusesLimitsTheTransportCannotCarry() {
        LocalTransport.Hub small = LocalTransport.hub(1);
        Transport limited = new ForwardingTransport(small.transport()) {
            @Override
            public int maxMessageBytes() {
                return 64 << 10;
            }
        };
        try {
            RaftNodeBuilder b = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                    .logStorage(new InMemoryLogStorage()).transport(limited)
                    .options(RaftOptions.defaults().withMaxCommandBytes(128 << 10));
            assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxCommandBytes (131072) plus framing exceeds the transport's message "
                            + "limit (65536)")
                    .hasMessageContaining("maxAppendBytes (1048576)");
        } finally {
            small.close();
        }
    }

    /**
     * A command the node accepts but its log storage refuses would stop every node that appends it (an outside probe
     * stopped a whole cluster with one 5 KB command and {@code FileLogOptions.withMaxEntryBytes(1000)}).
     */
    @Test
    void builderRefusesCommandsTheLogStorageCannotHold() {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        RaftNodeBuilder b = builder(new RecordingStateMachine(), storage).logStorage(new ForwardingLogStorage(storage) {
            @Override
            public int maxEntryBytes() {
                return 1000;
            }
        }).options(RaftOptions.defaults().withMaxCommandBytes(1001));

        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxCommandBytes (1001) exceeds the log storage's largest entry (1000)");
        InMemoryLogStorage fits = new InMemoryLogStorage();
        node = builder(new RecordingStateMachine(), fits).logStorage(new ForwardingLogStorage(fits) {
            @Override
            public int maxEntryBytes() {
                return 1000;
            }
        }).options(RaftOptions.defaults().withMaxCommandBytes(1000)).build();
    }

    @Test
    void optionsRejectOutOfRangeValuesAtOnce() {
        RaftOptions o = RaftOptions.defaults();
        assertThatThrownBy(() -> o.withElectionTimeout(Duration.ZERO)).hasMessageContaining("electionTimeout");
        assertThatThrownBy(() -> o.withTickInterval(Duration.ofSeconds(5))).hasMessageContaining("tickInterval");
        assertThatThrownBy(() -> o.withMaxPendingRequests(0)).hasMessageContaining("maxPendingRequests");
        assertThatThrownBy(() -> o.withMaxPendingBytes(1023)).hasMessageContaining("maxPendingBytes");
        assertThat(o.maxPendingBytes()).isEqualTo(64L << 20);
        assertThat(o.withMaxPendingBytes(4096).withMaxPendingRequests(5).maxPendingBytes()).isEqualTo(4096);
        assertThatThrownBy(() -> o.withReplicationFlow(0, 4096)).hasMessageContaining("maxInflightAppends");
        assertThatThrownBy(() -> o.withHeartbeatInterval(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void singleMemberGroupCommitsAndReads() throws Exception {
        RecordingStateMachine sm = new RecordingStateMachine();
        startLeader(sm, new InMemoryLogStorage());
        assertThat(new String(node.submit(bytes("a")).get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                .isEqualTo("2:a");                            // index 1 is the leader's no-op
        assertThat(node.query(bytes("n"), ReadMode.STALE).get(5, TimeUnit.SECONDS)).isEqualTo(bytes("1"));
    }

    @Test
    void nullAndOversizedCommandsAreRefusedAndTheNodeKeepsWorking() throws Exception {
        RecordingStateMachine sm = new RecordingStateMachine();
        node = builder(sm, new InMemoryLogStorage())
                .options(RaftOptions.defaults().withMaxCommandBytes(16)).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        assertThatThrownBy(() -> node.submit(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> node.submit(new byte[17])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("17 bytes, more than maxCommandBytes (16)");
        assertThatThrownBy(() -> node.query(new byte[1], null)).isInstanceOf(NullPointerException.class);
        assertThat(node.submit(new byte[16]).get(5, TimeUnit.SECONDS)).isNotEmpty();
    }

    @Test
    void callsBeforeStartAndAfterCloseFailClearly() throws Exception {
        node = builder(new RecordingStateMachine(), new InMemoryLogStorage()).build();
        assertThat(node.status().state()).isEqualTo(NodeState.CREATED);
        assertThatThrownBy(() -> node.submit(bytes("x")).join()).hasCauseInstanceOf(RaftClosedException.class)
                .hasMessageContaining("not started");
        node.close();
        node.close();
        assertThat(node.status().state()).isEqualTo(NodeState.CLOSED);
        assertThatThrownBy(() -> node.submit(bytes("x")).join()).hasCauseInstanceOf(RaftClosedException.class);
        assertThatThrownBy(node::start).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> node.transferLeadership(NodeId.of("n7")).join())
                .hasCauseInstanceOf(RaftClosedException.class);
    }

    @Test
    void aTransportThatCannotListenFailsStartAndLeavesAUsableStatus() throws Exception {
        Transport refusing = new ForwardingTransport(hub.transport()) {
            @Override
            public void start(Member self, Consumer<RaftMessage> inbound) throws IOException {
                throw new IOException("port taken");
            }
        };
        node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(new InMemoryLogStorage()).transport(refusing).build();
        assertThatThrownBy(node::start).isInstanceOf(IOException.class).hasMessage("port taken");
        assertThat(node.status().state()).isEqualTo(NodeState.FAILED);
        assertThatThrownBy(() -> node.submit(bytes("x")).join()).hasCauseInstanceOf(RaftFailedException.class);
        node.close();
        assertThat(node.status().state()).isEqualTo(NodeState.FAILED);
    }

    /** A state machine whose every apply waits for {@code release} (at most {@link #WAIT}). */
    private static StateMachine appliesOnceReleased(CountDownLatch release) {
        return new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                try {
                    release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.apply(index, command);
            }
        };
    }

    @Test
    void pendingRequestsAreBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        StateMachine slow = appliesOnceReleased(release);
        node = builder(slow, new InMemoryLogStorage())
                .options(RaftOptions.defaults().withMaxPendingRequests(3)).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        List<CompletableFuture<byte[]>> held = List.of(node.submit(bytes("1")), node.submit(bytes("2")),
                node.submit(bytes("3")));
        assertThatThrownBy(() -> node.submit(bytes("4")).join()).hasCauseInstanceOf(OverloadedException.class)
                .hasMessageContaining("3 requests pending");
        // A caller that stops waiting does not withdraw a command on its way: the limit still holds (an outside probe
        // timed out each command after a millisecond and ran the node out of memory past a limit of 8). One not
        // proposed yet would be dropped, its slot given back: wait until the three are in the log.
        long first = node.status().firstLogIndex();
        Await.until("the three commands proposed", WAIT, () -> node.status().lastLogIndex() >= first + 3);
        held.get(0).cancel(false);
        held.get(1).orTimeout(1, TimeUnit.MILLISECONDS);
        Await.until("the timeout", WAIT, () -> held.get(1).isDone());
        assertThatThrownBy(() -> node.submit(bytes("4")).join()).hasCauseInstanceOf(OverloadedException.class);
        release.countDown();
        held.get(2).get(5, TimeUnit.SECONDS);                // applied in order: the two before it are done too
        List<CompletableFuture<byte[]>> next = List.of(node.submit(bytes("5")), node.submit(bytes("6")),
                node.submit(bytes("7")));
        for (CompletableFuture<byte[]> f : next) {
            assertThat(f.get(5, TimeUnit.SECONDS)).isNotEmpty();
        }
    }

    /**
     * The apply thread runs the application's code: stuck there past a close that gave up on it (after 10 s), it must
     * not keep the JVM from exiting (outside probe: the process never exited).
     */
    @Test
    void theApplyThreadIsADaemon() throws Exception {
        node = builder(new RecordingStateMachine(), new InMemoryLogStorage()).build();
        node.start();
        Thread apply = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("raft-apply-n1"))
                .findFirst().orElseThrow();
        assertThat(apply.isDaemon()).isTrue();
    }

    /** Pending commands are bounded by their bytes too, and the refusal names the bound it hit. */
    @Test
    void pendingCommandBytesAreBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        StateMachine slow = appliesOnceReleased(release);
        node = builder(slow, new InMemoryLogStorage()).options(RaftOptions.defaults().withMaxPendingBytes(1024))
                .build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        CompletableFuture<byte[]> held = node.submit(new byte[600]);

        assertThatThrownBy(() -> node.submit(new byte[600]).join()).hasCauseInstanceOf(OverloadedException.class)
                .hasMessageContaining("at most 1024 (maxPendingBytes)");
        release.countDown();
        held.get(5, TimeUnit.SECONDS);
        assertThat(node.submit(new byte[600]).get(5, TimeUnit.SECONDS)).isNotEmpty();
    }

    /**
     * Requests their callers cancel at once are dropped before the loop proposes or asks for them (or answered, when
     * the loop got there first): either way their slots come back, and the node serves new requests afterwards.
     */
    @Test
    void cancelledRequestsGiveTheirSlotsBack() throws Exception {
        node = builder(new RecordingStateMachine(), new InMemoryLogStorage())
                .options(RaftOptions.defaults().withMaxPendingRequests(4)).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        for (int i = 0; i < 2_000; i++) {
            node.submit(bytes("c" + i)).cancel(false);
            node.query(bytes("q" + i), i % 2 == 0 ? ReadMode.LINEARIZABLE : ReadMode.LEASE).cancel(false);
        }
        Await.until("the slots to come back", WAIT, () -> {
            List<CompletableFuture<byte[]>> four = List.of(node.submit(bytes("a")), node.submit(bytes("b")),
                    node.query(bytes("q"), ReadMode.LINEARIZABLE), node.submit(bytes("c")));
            CompletableFuture.allOf(four.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
            return four.stream().noneMatch(CompletableFuture::isCompletedExceptionally);
        });
    }

    /**
     * {@code close()} on an interrupted thread (an executor shutting down, a test timing out) still waits for the
     * node to stop and keeps the flag; before, it returned at once with the storage still open (an outside probe
     * reopened the directory and was refused as in use).
     */
    @Test
    void closeOnAnInterruptedThreadStillWaitsForTheNodeToStop() throws Exception {
        InMemoryLogStorage storage = new InMemoryLogStorage();
        node = builder(new RecordingStateMachine(), storage).logStorage(new ForwardingLogStorage(storage) {
            @Override
            public void close() throws IOException {
                LockSupport.parkNanos(200_000_000L);         // a slow disk: the storage takes a while to close
                super.close();
            }
        }).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        node.submit(bytes("x")).get(5, TimeUnit.SECONDS);

        Thread.currentThread().interrupt();
        node.close();
        Throwable stillOpen = catchThrowable(storage::lastIndex);

        assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        assertThat(stillOpen).as("the storage is closed when close() returns")
                .isInstanceOf(IllegalStateException.class);
        assertThat(node.status().state()).isEqualTo(NodeState.CLOSED);
    }

    /**
     * {@code close()} while {@code start()} runs on another thread waits for it and then closes the node; before, it
     * took the node for never started and closed the storage and transport under the running start (an outside
     * probe: {@code start()} failed with "InMemoryLogStorage is closed" in 31 of 200 runs).
     */
    @Test
    void closeDuringStartWaitsForItInsteadOfClosingTheStorageUnderIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> started = startWaitingInBind(release);
        Thread closing = new Thread(node::close);
        closing.start();
        Await.until("close() to wait or end", WAIT, () -> closing.getState() == Thread.State.BLOCKED
                || closing.getState() == Thread.State.TERMINATED);
        release.countDown();

        started.get(10, TimeUnit.SECONDS);
        closing.join(10_000);
        assertThat(closing.isAlive()).isFalse();
        assertThat(node.status().state()).isEqualTo(NodeState.CLOSED);
    }

    /**
     * {@code status()} while {@code start()} still recovers (here a slow bind; for a user, a large snapshot's restore)
     * answers from storage at once; before, it waited 5 seconds for a loop that was not running yet and threw.
     */
    @Test
    void statusWhileStartingAnswersFromStorageAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> started = startWaitingInBind(release);

        long begin = System.nanoTime();
        RaftStatus status;
        try {
            status = node.status();
        } finally {
            release.countDown();                             // else close() waits for the start forever
        }

        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(2));
        assertThat(status.state()).isEqualTo(NodeState.RUNNING);
        assertThat(status.role()).isEqualTo(RaftRole.FOLLOWER);
        started.get(10, TimeUnit.SECONDS);
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
    }

    /**
     * A state machine that closes its node and then asks for its status, on the apply thread, gets it at once; before,
     * {@code status()} waited there 10 seconds for the loop, which was waiting for the apply thread.
     */
    @Test
    void statusAfterCloseOnTheApplyThreadDoesNotWaitForItself() throws Exception {
        CompletableFuture<NodeState> seen = new CompletableFuture<>();
        long[] tookNanos = new long[1];
        startLeader(new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                if (new String(command, StandardCharsets.UTF_8).equals("close")) {
                    long start = System.nanoTime();
                    node.close();
                    NodeState state = node.status().state();
                    tookNanos[0] = System.nanoTime() - start;
                    seen.complete(state);
                }
                return super.apply(index, command);
            }
        }, new InMemoryLogStorage());
        node.submit(bytes("close"));

        assertThat(seen.get(20, TimeUnit.SECONDS)).isNotEqualTo(NodeState.RUNNING);
        assertThat(Duration.ofNanos(tookNanos[0])).isLessThan(Duration.ofSeconds(5));
    }

    /**
     * A snapshot writer that closes its node and asks for its status, on the snapshot thread, gets it at once: the
     * node stops its snapshot threads as part of closing, so waiting there for the close waited 10 seconds for itself.
     */
    @Test
    void closeAndStatusOnTheSnapshotThreadDoNotWaitForThemselves() throws Exception {
        CompletableFuture<NodeState> seen = new CompletableFuture<>();
        long[] tookNanos = new long[1];
        node = builder(new SnapshotStateMachine() {
            @Override
            public synchronized StateSnapshot snapshot() {
                return out -> {
                    long start = System.nanoTime();
                    node.close();
                    NodeState state = node.status().state();
                    tookNanos[0] = System.nanoTime() - start;
                    seen.complete(state);
                    throw new IOException("closed while writing");
                };
            }
        }, new InMemoryLogStorage()).snapshotStore(new InMemorySnapshotStore()).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        node.submit(bytes("x")).get(10, TimeUnit.SECONDS);
        node.takeSnapshot();

        assertThat(seen.get(20, TimeUnit.SECONDS)).isNotEqualTo(NodeState.RUNNING);
        assertThat(Duration.ofNanos(tookNanos[0])).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void stateMachineFailureStopsTheNodeAndFailsPendingFutures() throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        StateMachine broken = new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                if (new String(command, StandardCharsets.UTF_8).equals("boom")) {
                    throw new IllegalArgumentException("boom");
                }
                return super.apply(index, command);
            }
        };
        node = builder(broken, new InMemoryLogStorage()).build();
        node.addListener(new RaftListener() {
            @Override
            public void onFailure(Throwable cause) {
                failures.add(cause);
            }
        });
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        CompletableFuture<byte[]> f = node.submit(bytes("boom"));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).as("committed: the other replicas apply it")
                .hasCauseInstanceOf(IndeterminateResultException.class)
                .cause().hasCauseInstanceOf(RaftFailedException.class)
                .as("it was committed (a probe found 'failed before the command was known committed')")
                .hasMessageContaining("n1 failed after the command committed").hasMessageContaining("result is unknown")
                .message().doesNotContain("before the command was known committed");
        assertThat(node.status().state()).isEqualTo(NodeState.FAILED);
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0)).hasMessageContaining("state machine threw while applying index 2");
        assertThatThrownBy(() -> node.submit(bytes("x")).join()).hasCauseInstanceOf(RaftFailedException.class);
    }

    /** A command committed but not applied when the node is closed fails saying it committed, not that it may not. */
    @Test
    void aCommandCommittedButNotAppliedAtCloseFailsSayingItCommitted() throws Exception {
        CountDownLatch applying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StateMachine slow = new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                if (new String(command, StandardCharsets.UTF_8).equals("slow")) {
                    applying.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.apply(index, command);
            }
        };
        startLeader(slow, new InMemoryLogStorage());
        node.submit(bytes("slow"));
        assertThat(applying.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<byte[]> queued = node.submit(bytes("queued"));
        Await.until("the queued command to commit", WAIT, () -> node.status().commitIndex() >= 3);
        Thread releaser = new Thread(() -> {
            // not merely once close began: only once the node waits for its workers has it asked the apply worker to
            // stop (a CI run released earlier, and the worker applied the queued command before the stop request)
            Await.until("the node to wait for its workers to stop", WAIT, RaftNodeApiTest::joiningWorkers);
            release.countDown();
        });
        releaser.start();
        node.close();
        releaser.join();
        assertThatThrownBy(() -> queued.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(IndeterminateResultException.class)
                .hasMessageContaining("n1 was closed after the command committed, before it was applied here");
    }

    /** Whether a thread is in NodeRuntime's join of a worker: the workers have been asked to stop by then. */
    private static boolean joiningWorkers() {
        return Thread.getAllStackTraces().values().stream().anyMatch(stack -> {
            for (int i = 0; i + 1 < stack.length; i++) {
                if (stack[i].getClassName().equals(Thread.class.getName()) && stack[i].getMethodName().equals("join")
                        && stack[i + 1].getClassName().equals(NodeRuntime.class.getName())) {
                    return true;
                }
            }
            return false;
        });
    }

    @Test
    void storageFailureStopsTheNode() throws Exception {
        FailingStorage storage = new FailingStorage();
        node = RaftNode.builder().id("n1").members(N1).stateMachine(new RecordingStateMachine())
                .logStorage(storage).transport(hub.transport()).randomSeed(1)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
                        .withHeartbeatInterval(Duration.ofMillis(20))).build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        storage.failSyncs = true;
        CompletableFuture<byte[]> f = node.submit(bytes("lost"));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IndeterminateResultException.class)
                .hasRootCauseMessage("disk on fire");
        Await.until("the node to fail", WAIT, () -> node.status().state() == NodeState.FAILED);
    }

    @Test
    void listenersHearRoleAndLeaderChanges() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        node = builder(new RecordingStateMachine(), new InMemoryLogStorage()).build();
        node.addListener(new RaftListener() {
            @Override
            public void onRoleChange(RaftRole role, long term) {
                events.add(role + "@" + term);
            }

            @Override
            public void onLeaderChange(Optional<NodeId> leader, long term) {
                events.add("leader " + leader.map(NodeId::value).orElse("-") + "@" + term);
            }
        });
        node.start();
        Await.until("the listener to hear n1 lead", WAIT, () -> events.contains("leader n1@1"));
        assertThat(events).containsSubsequence("FOLLOWER@0", "LEADER@1", "leader n1@1");
    }

    /** Syncs fail on demand. */
    private static final class FailingStorage extends ForwardingLogStorage {
        volatile boolean failSyncs;

        FailingStorage() {
            super(new InMemoryLogStorage());
        }

        @Override
        public void sync() throws IOException {
            if (failSyncs) {
                throw new IOException("disk on fire");
            }
            super.sync();
        }
    }
}
