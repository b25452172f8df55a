package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeState;
import org.raftlib.RaftEvent;
import org.raftlib.RaftListener;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.ReadMode;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.raftlib.local.ForwardingLogStorage;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * User code that throws a checked exception it does not declare (Kotlin, Lombok's {@code @SneakyThrows}, Groovy):
 * raftlib treats it like a {@code RuntimeException}. Found by an outside probe: such an exception from {@code apply},
 * {@code snapshot()}, {@code query} or a listener ended the apply thread silently (the node stayed a ready leader
 * and every later request hung, past {@code close()} too), one from {@code StateSnapshot.writeTo} left snapshots
 * busy for good, and one from a custom {@code LogStorage} ended the storage thread.
 */
class UndeclaredExceptionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final LocalTransport.Hub hub = LocalTransport.hub(11);
    private RaftNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
        hub.close();
    }

    /** Throws {@code e} without declaring it, as Kotlin or Lombok code does. */
    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private RaftNode startLeader(StateMachine sm) throws IOException {
        return startLeader(sm, new InMemoryLogStorage());
    }

    private RaftNode startLeader(StateMachine sm, LogStorage storage) throws IOException {
        node = RaftNode.builder().id("n1").members(Member.of("n1", "local-1")).stateMachine(sm)
                .logStorage(storage).snapshotStore(new InMemorySnapshotStore())
                .transport(hub.transport()).randomSeed(1)
                .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(100))
                        .withHeartbeatInterval(Duration.ofMillis(20)))
                .build();
        node.start();
        Await.until("n1 to lead", WAIT, () -> node.status().isLeader());
        return node;
    }

    @Test
    void anUndeclaredCheckedExceptionFromApplyFailsTheNodeAndItsRequests() throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        startLeader(new SnapshotStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                if (new String(command, StandardCharsets.UTF_8).equals("bad")) {
                    throw sneaky(new IOException("checked, undeclared"));
                }
                return super.apply(index, command);
            }
        });
        node.addListener(new RaftListener() {
            @Override
            public void onFailure(Throwable cause) {
                failures.add(cause);
            }
        });
        CompletableFuture<byte[]> f = node.submit(bytes("bad"));

        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IndeterminateResultException.class);
        Await.until("n1 to fail", WAIT, () -> node.status().state() == NodeState.FAILED);
        assertThat(failures).singleElement().satisfies(e -> assertThat(e)
                .hasMessageContaining("state machine threw while applying").hasRootCauseInstanceOf(IOException.class));
    }

    @Test
    void anUndeclaredCheckedExceptionFromALogStorageFailsTheNode() throws Exception {
        AtomicBoolean fail = new AtomicBoolean();
        startLeader(new SnapshotStateMachine(), new ForwardingLogStorage(new InMemoryLogStorage()) {
            @Override
            public void sync() throws IOException {
                if (fail.get()) {
                    throw sneaky(new Exception("checked, undeclared"));
                }
                super.sync();
            }
        });
        fail.set(true);
        CompletableFuture<byte[]> f = node.submit(bytes("x"));

        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        Await.until("n1 to fail", WAIT, () -> node.status().state() == NodeState.FAILED);
    }

    @Test
    void anUndeclaredCheckedExceptionFromAQueryFailsThatReadOnly() throws Exception {
        startLeader(new SnapshotStateMachine() {
            @Override
            public synchronized byte[] query(byte[] request) {
                throw sneaky(new IOException("checked, undeclared"));
            }
        });
        CompletableFuture<byte[]> read = node.query(bytes("q"), ReadMode.LINEARIZABLE);

        assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        assertThat(node.submit(bytes("x")).get(5, TimeUnit.SECONDS)).isNotEmpty();
        assertThat(node.status().state()).isEqualTo(NodeState.RUNNING);
    }

    @Test
    void anUndeclaredCheckedExceptionFromAListenerIsIgnored() throws Exception {
        startLeader(new SnapshotStateMachine());
        node.addListener(new RaftListener() {
            @Override
            public void onEvent(RaftEvent event) {
                if (event instanceof RaftEvent.SnapshotTaken) {
                    throw sneaky(new IOException("checked, undeclared"));
                }
            }
        });
        node.submit(bytes("a")).get(5, TimeUnit.SECONDS);
        node.takeSnapshot().get(5, TimeUnit.SECONDS);
        node.submit(bytes("x")).get(5, TimeUnit.SECONDS);

        assertThat(node.takeSnapshot().get(5, TimeUnit.SECONDS)).isEqualTo(node.status().appliedIndex());
        assertThat(node.status().state()).isEqualTo(NodeState.RUNNING);
    }

    @Test
    void anUndeclaredCheckedExceptionFromASnapshotWriteFailsThatSnapshotOnly() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean(true);
        startLeader(new SnapshotStateMachine() {
            @Override
            public synchronized StateSnapshot snapshot() {
                StateSnapshot real = super.snapshot();
                return (OutputStream out) -> {
                    if (failNext.getAndSet(false)) {
                        throw sneaky(new Exception("checked, undeclared"));
                    }
                    real.writeTo(out);
                };
            }
        });
        node.submit(bytes("x")).get(5, TimeUnit.SECONDS);

        assertThatThrownBy(() -> node.takeSnapshot().get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(node.takeSnapshot().get(5, TimeUnit.SECONDS)).as("snapshots are not left busy")
                .isEqualTo(node.status().appliedIndex());
    }
}
