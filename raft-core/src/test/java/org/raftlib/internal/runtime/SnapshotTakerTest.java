package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.testkit.RecordingStateMachine;

/** When snapshots are taken, and when a request for one completes; the writer thread is driven by hand. */
class SnapshotTakerTest {

    private static final long NEVER = Long.MAX_VALUE;

    private final ManualExecutor writer = new ManualExecutor();
    private final List<Object> toApplyThread = new ArrayList<>();
    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    private final SnapshotTaker taker = new SnapshotTaker("n1", store,
            ClusterConfig.ofVoters(List.of(Member.of("n1", "a"))), new SnapshotTaker.Policy(NEVER, NEVER), writer,
            new Inbox(), toApplyThread::add);
    private final StateMachine machine = new StateMachine() {
        @Override
        public byte[] apply(long index, byte[] command) {
            return command;
        }

        @Override
        public byte[] query(byte[] request) {
            return request;
        }

        @Override
        public StateSnapshot snapshot() {
            return StateSnapshot.of(new byte[] {1, 2, 3});
        }
    };

    /**
     * A request is served by the first snapshot that covers what was applied when it was made, however many entries
     * are applied while that one is written. Found by an outside probe: under steady writes, takeSnapshot() never
     * completed while the node wrote snapshots back to back (175 in 10 s), each write starting another because
     * something had been applied meanwhile.
     */
    @Test
    void aRequestCompletesWithTheFirstSnapshotThatCoversItUnderSteadyApplies() {
        CompletableFuture<Long> first = new CompletableFuture<>();
        taker.request(first, machine, 10, 1, 0);
        assertThat(writer.pending()).isEqualTo(1);

        CompletableFuture<Long> second = new CompletableFuture<>();
        taker.request(second, machine, 15, 1, 0);                  // while the one at 10 is written
        writer.runOne();
        taker.onDone(done(), machine, 20, 1);                      // 10 more applied during the write

        assertThat(first).isCompletedWithValue(10L);
        assertThat(second).as("made after the capture at 10: the next one").isNotDone();
        assertThat(writer.pending()).as("one more write, for the second request").isEqualTo(1);
        writer.runOne();
        taker.onDone(done(), machine, 30, 1);

        assertThat(second).isCompletedWithValue(20L);
        assertThat(writer.pending()).as("no request left: no more writes (the policy never asks)").isZero();
    }

    /**
     * A write that close() interrupts is logged as that, at INFO; it read "could not write the snapshot; will try
     * again later" at WARN (outside probe). Any other failure stays a WARN.
     */
    @Test
    void aWriteInterruptedByCloseIsNotWarnedOfAsAFailure() throws Exception {
        StateMachine interrupted = new RecordingStateMachine() {
            @Override
            public StateSnapshot snapshot() {
                return out -> {
                    throw new InterruptedIOException("interrupted while writing");
                };
            }
        };
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            taker.request(new CompletableFuture<>(), interrupted, 10, 1, 0);
            writer.runOne();
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("INFO")
                .contains("n1 stopped writing the snapshot at 10: the node is closing").doesNotContain("WARN");
        assertThat(done().error()).isInstanceOf(InterruptedIOException.class);
    }

    /**
     * A snapshot that closes the stream it writes to (a try-with-resources) is committed, on a store whose streams
     * refuse any use once closed: raftlib's close shield keeps the store's stream open for the flush and commit.
     */
    @Test
    void aSnapshotThatClosesItsStreamIsCommitted() throws Exception {
        SnapshotStore strict = new SnapshotStore() {
            @Override
            public Optional<SnapshotMeta> latest() {
                return store.latest();
            }

            @Override
            public InputStream read(SnapshotMeta meta) throws IOException {
                return store.read(meta);
            }

            @Override
            public Writer write(SnapshotMeta meta) {
                return new StrictWriter(store.write(meta));
            }

            @Override
            public void close() {
                store.close();
            }
        };
        SnapshotTaker onStrict = new SnapshotTaker("n1", strict, ClusterConfig.ofVoters(List.of(Member.of("n1", "a"))),
                new SnapshotTaker.Policy(NEVER, NEVER), writer, new Inbox(), toApplyThread::add);
        StateMachine closing = new RecordingStateMachine() {
            @Override
            public StateSnapshot snapshot() {
                return out -> {
                    try (DataOutputStream data = new DataOutputStream(out)) {
                        data.writeUTF("state");
                    }
                };
            }
        };

        onStrict.request(new CompletableFuture<>(), closing, 10, 1, 0);
        writer.runOne();

        assertThat(done().error()).isNull();
        assertThat(store.latest()).map(SnapshotMeta::index).contains(10L);
    }

    /** A writer whose stream, once closed, refuses writes and flushes, and which then refuses to commit. */
    private static final class StrictWriter implements SnapshotStore.Writer {
        private final SnapshotStore.Writer delegate;
        private boolean closed;

        StrictWriter(SnapshotStore.Writer delegate) {
            this.delegate = delegate;
        }

        @Override
        public OutputStream stream() {
            return new FilterOutputStream(delegate.stream()) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    check();
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    check();
                    out.flush();
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }

        private void check() throws IOException {
            if (closed) {
                throw new IOException("Stream closed");
            }
        }

        @Override
        public SnapshotMeta commit() throws IOException {
            check();
            return delegate.commit();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private SnapshotTaker.Done done() {
        return (SnapshotTaker.Done) toApplyThread.remove(toApplyThread.size() - 1);
    }

    /** Runs its tasks only when told. */
    private static final class ManualExecutor extends AbstractExecutorService {
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        int pending() {
            return tasks.size();
        }

        void runOne() {
            tasks.remove().run();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
