package org.raftlib.local;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;

/**
 * A {@link SnapshotStore} in memory, for tests and single-JVM demos. Keeps the {@code retain} snapshots with the
 * highest indexes (one per index).
 * Thread-safe. Nothing survives the process; a node restarted on the same instance finds what was committed, as
 * after a crash (a commit is durable at once here).
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    private record Stored(SnapshotMeta meta, byte[] state) {
    }

    private final int retain;
    private final List<Stored> snapshots = new ArrayList<>();
    private boolean closed;

    /** Creates an empty store keeping the newest 2 snapshots. */
    public InMemorySnapshotStore() {
        this(2);
    }

    /**
     * Creates an empty store.
     *
     * @param retain how many of the newest snapshots to keep; at least 1
     * @throws IllegalArgumentException if {@code retain} is below 1
     */
    public InMemorySnapshotStore(int retain) {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be at least 1: " + retain);
        }
        this.retain = retain;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public synchronized Optional<SnapshotMeta> latest() {
        checkOpen();
        return snapshots.isEmpty() ? Optional.empty() : Optional.of(snapshots.get(snapshots.size() - 1).meta());
    }

    /**
     * {@inheritDoc}
     *
     * @throws IOException if the snapshot is no longer held
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public synchronized InputStream read(SnapshotMeta meta) throws IOException {
        checkOpen();
        for (Stored s : snapshots) {
            if (s.meta().index() == meta.index() && s.meta().term() == meta.term()) {
                return new ByteArrayInputStream(s.state());
            }
        }
        throw new IOException("no snapshot at index " + meta.index() + ", term " + meta.term());
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public synchronized Writer write(SnapshotMeta meta) {
        checkOpen();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        return new Writer() {
            private boolean done;

            @Override
            public OutputStream stream() {
                return buffer;
            }

            @Override
            public SnapshotMeta commit() {
                synchronized (InMemorySnapshotStore.this) {
                    checkOpen();
                    if (done) {
                        throw new IllegalStateException("already committed or closed");
                    }
                    done = true;
                    byte[] state = buffer.toByteArray();
                    SnapshotMeta stored = meta.completed(state.length, System.currentTimeMillis());
                    snapshots.removeIf(s -> s.meta().index() == meta.index());
                    snapshots.add(new Stored(stored, state));
                    snapshots.sort(Comparator.comparingLong(s -> s.meta().index()));
                    while (snapshots.size() > retain) {
                        snapshots.remove(0);                 // the oldest by index, never a newer one
                    }
                    return stored;
                }
            }

            @Override
            public void close() {
                done = true;
            }
        };
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("snapshot store is closed");
        }
    }
}
