package org.raftlib.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.raftlib.LogStorage;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;
import org.raftlib.local.ForwardingLogStorage;

/**
 * Storage whose {@code close()} does nothing, so that a test can restart a node on what its previous incarnation
 * left (with {@code InMemoryLogStorage.crashCopy()} for a crash, or the same store).
 */
public final class KeptOpen {

    private KeptOpen() {
    }

    /** Returns {@code log} with a {@code close()} that does nothing. */
    public static LogStorage log(LogStorage log) {
        return new ForwardingLogStorage(log) {
            @Override
            public void close() {
                // kept for a restart
            }
        };
    }

    /** A snapshot store passed through, but for {@code close()}, which does nothing; extend it to add faults. */
    public static class Snapshots implements SnapshotStore {
        private final SnapshotStore delegate;

        public Snapshots(SnapshotStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<SnapshotMeta> latest() throws IOException {
            return delegate.latest();
        }

        @Override
        public InputStream read(SnapshotMeta meta) throws IOException {
            return delegate.read(meta);
        }

        @Override
        public Writer write(SnapshotMeta meta) throws IOException {
            return delegate.write(meta);
        }

        @Override
        public void close() {
            // kept for a restart
        }
    }
}
