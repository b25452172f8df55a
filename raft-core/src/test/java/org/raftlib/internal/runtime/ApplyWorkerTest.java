package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.RaftClosedException;
import org.raftlib.StateMachine;
import org.raftlib.internal.session.SessionMachine;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.testkit.RecordingStateMachine;

/** The apply worker on its own thread, fed by hand. */
class ApplyWorkerTest {

    private static final long NEVER = Long.MAX_VALUE;

    private final ExecutorService writer = Executors.newSingleThreadExecutor();    // unused: no snapshot is due

    @AfterEach
    void stopWriter() {
        writer.shutdown();
    }

    /** A worker of a one-node cluster applying to {@code machine}, its thread not started. */
    private ApplyWorker worker(StateMachine machine) {
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.of("n1", "a")));
        ApplyWorker worker = new ApplyWorker("n1", new SessionMachine(machine), new Inbox(), cause -> { });
        worker.useSnapshots(null, new SnapshotTaker("n1", new InMemorySnapshotStore(), config,
                new SnapshotTaker.Policy(NEVER, NEVER), writer, new Inbox(), worker::submit), Optional.empty(),
                config);
        return worker;
    }

    /**
     * A close that gives up waiting for a stuck {@code apply} leaves that call running, but nothing is applied after
     * it returns, not even the rest of its batch: those commands fail with {@link IndeterminateResultException} (the
     * other replicas apply them). An outside probe saw them applied after {@code close()} had returned, to state a
     * service may have freed by then.
     */
    @Test
    void nothingIsAppliedAfterTheCallThatRanWhenTheNodeStopped() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> applied = Collections.synchronizedList(new ArrayList<>());
        StateMachine machine = new StateMachine() {
            @Override
            public byte[] apply(long index, byte[] command) {
                String s = new String(command, StandardCharsets.UTF_8);
                applied.add(s);
                if (s.equals("slow")) {
                    entered.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return command;
            }

            @Override
            public byte[] query(byte[] request) {
                return request;
            }
        };
        ApplyWorker worker = worker(machine);
        Thread thread = new Thread(worker, "apply-test");
        thread.start();
        List<LogEntry> entries = new ArrayList<>();
        @SuppressWarnings("unchecked")
        CompletableFuture<byte[]>[] futures = new CompletableFuture[4];
        String[] commands = {"slow", "m0", "m1", "m2"};
        for (int i = 0; i < commands.length; i++) {
            entries.add(LogEntry.command(1, i + 1, Bytes.wrap(commands[i].getBytes(StandardCharsets.UTF_8))));
            futures[i] = new CompletableFuture<>();
        }

        worker.submit(new ApplyWorker.ApplyBatch(entries, futures));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        worker.requestStop(new RaftClosedException("n1 is closed"), false);
        release.countDown();
        thread.join(10_000);

        assertThat(thread.isAlive()).isFalse();
        assertThat(futures[0].get(1, TimeUnit.SECONDS)).as("the call that ran").isEqualTo("slow".getBytes(
                StandardCharsets.UTF_8));
        for (int i = 1; i < futures.length; i++) {
            CompletableFuture<byte[]> f = futures[i];
            assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(IndeterminateResultException.class).hasMessageContaining("was closed");
        }
        assertThat(applied).containsExactly("slow");
    }

    /**
     * A null from {@code apply} or {@code query}, which the contract forbids, is taken as an empty result (the command
     * was applied), and said once per method: it passed silently before (outside probe).
     */
    @Test
    void aNullResultIsTakenAsEmptyAndWarnedOnce() throws Exception {
        StateMachine machine = new RecordingStateMachine() {
            @Override
            public synchronized byte[] apply(long index, byte[] command) {
                super.apply(index, command);
                return null;
            }

            @Override
            public synchronized byte[] query(byte[] request) {
                return null;
            }
        };
        ApplyWorker worker = worker(machine);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Thread thread = new Thread(worker, "apply-test");
        try {
            thread.start();
            @SuppressWarnings("unchecked")
            CompletableFuture<byte[]>[] futures = new CompletableFuture[] {new CompletableFuture<>(),
                new CompletableFuture<>()};
            worker.submit(new ApplyWorker.ApplyBatch(List.of(LogEntry.command(1, 1, Bytes.wrap(new byte[] {1})),
                    LogEntry.command(1, 2, Bytes.wrap(new byte[] {2}))), futures));
            CompletableFuture<byte[]> read = new CompletableFuture<>();
            worker.submit(new ApplyWorker.ReadAt(0, new byte[] {3}, read));

            assertThat(futures[0].get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(futures[1].get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(read.get(10, TimeUnit.SECONDS)).isEmpty();
        } finally {
            worker.requestStop(new RaftClosedException("n1 is closed"), false);
            thread.join(10_000);
                System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).containsOnlyOnce("the state machine's apply() returned null")
                .containsOnlyOnce("the state machine's query() returned null");
    }
}
