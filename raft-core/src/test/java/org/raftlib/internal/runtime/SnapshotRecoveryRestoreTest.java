package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeState;
import org.raftlib.RaftNode;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.InMemorySnapshotStore;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.RecordingStateMachine;

/** How a restore that does not read the whole snapshot is reported ({@link SnapshotRecovery#restore}). */
class SnapshotRecoveryRestoreTest {

    /** Reads the first {@code limit} bytes of a snapshot and stops, closing the stream if {@code closes}. */
    private static final class PartialReader extends RecordingStateMachine {
        private final int limit;
        private final boolean closes;
        private int read;

        PartialReader(int limit) {
            this(limit, false);
        }

        PartialReader(int limit, boolean closes) {
            this.limit = limit;
            this.closes = closes;
        }

        @Override
        public void restore(InputStream state) throws IOException {
            read = state.readNBytes(limit).length;
            if (closes) {
                state.close();
            }
        }
    }

    /** An in-memory store whose read streams, like file streams, fail once closed. */
    private static final class StrictStore implements SnapshotStore {
        private final InMemorySnapshotStore delegate = new InMemorySnapshotStore();

        @Override
        public Optional<SnapshotMeta> latest() {
            return delegate.latest();
        }

        @Override
        public InputStream read(SnapshotMeta meta) throws IOException {
            return new BufferedInputStream(delegate.read(meta), 8);
        }

        @Override
        public Writer write(SnapshotMeta meta) {
            return delegate.write(meta);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private static SnapshotMeta store(SnapshotStore store, int bytes) throws IOException {
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.of("n1", "a")));
        try (SnapshotStore.Writer w = store.write(new SnapshotMeta(7, 2, config, 0, 0, 0))) {
            w.stream().write(new byte[bytes]);
            return w.commit();
        }
    }

    private static String stderrOf(ThrowingRunnable r) throws IOException {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private interface ThrowingRunnable {
        void run() throws IOException;
    }

    /** Restores a 100-byte snapshot with {@code machine}; returns what was logged to stderr meanwhile. */
    private static String restore(PartialReader machine) throws IOException {
        SnapshotStore store = new InMemorySnapshotStore();
        SnapshotMeta meta = store(store, 100);
        return stderrOf(() -> SnapshotRecovery.restore("n1", machine, store, meta));
    }

    @Test
    void aRestoreThatStopsEarlyIsWarnedOfWithWhatItLeft() throws IOException {
        PartialReader machine = new PartialReader(30);
        String log = restore(machine);
        assertThat(machine.read).isEqualTo(30);
        assertThat(log).contains("WARN").contains("n1 the state machine's restore left 70 of the 100 bytes of the "
                + "snapshot at 2/7 unread");
    }

    /**
     * A restore may close the stream it was given (a try-with-resources), even before its end: raftlib still reads the
     * rest, so that the checksum is checked, and warns of what was left. Before, the node failed with "Stream closed"
     * and no word of who closed it (outside probe).
     */
    @Test
    void aRestoreThatClosesItsStreamEarlyIsWarnedOfNotFailed() throws IOException {
        PartialReader machine = new PartialReader(30, true);
        SnapshotStore store = new StrictStore();
        SnapshotMeta meta = store(store, 100);

        String log = stderrOf(() -> SnapshotRecovery.restore("n1", machine, store, meta));

        assertThat(machine.read).isEqualTo(30);
        assertThat(log).contains("WARN").contains("left 70 of the 100 bytes");
    }

    @Test
    void aRestoreThatReadsEverythingIsNotWarnedOf() throws IOException {
        PartialReader machine = new PartialReader(1_000);
        String log = restore(machine);
        assertThat(machine.read).isEqualTo(100);
        assertThat(log).doesNotContain("unread");
    }

    /**
     * A state machine that closes its node from {@code restore} during {@code start()} makes start fail saying so;
     * it read "transport already closed" (outside probe).
     */
    @Test
    void aNodeClosedByItsRestoreDuringStartSaysSo() throws IOException {
        SnapshotStore store = new InMemorySnapshotStore();
        store(store, 100);
        RaftNode[] node = new RaftNode[1];
        RecordingStateMachine closing = new RecordingStateMachine() {
            @Override
            public void restore(InputStream state) throws IOException {
                state.readAllBytes();
                node[0].close();
            }
        };
        LocalTransport.Hub hub = LocalTransport.hub(1);
        try {
            node[0] = RaftNode.builder().id("n1").members(Member.of("n1", "a")).stateMachine(closing)
                    .logStorage(new InMemoryLogStorage()).snapshotStore(store).transport(hub.transport()).build();
            assertThatThrownBy(node[0]::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("n1 was closed during start(), while its state machine restored its snapshot");
            assertThat(node[0].status().state()).isEqualTo(NodeState.CLOSED);
        } finally {
            hub.close();
        }
    }
}
