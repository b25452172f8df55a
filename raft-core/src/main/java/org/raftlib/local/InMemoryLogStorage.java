package org.raftlib.local;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;

/**
 * A {@link LogStorage} that keeps everything in memory, for tests, the deterministic simulation and single-JVM demos.
 *
 * <p><b>Threading.</b> Thread-safe: every method takes one lock, so reads may come from any thread while the storage
 * worker writes.
 *
 * <p><b>Durability.</b> Nothing survives the process. To emulate a crash, {@link #crashCopy()} returns a new storage
 * holding exactly what the last {@link #sync()} covered (entries, truncations, compaction and hard state); every
 * later unsynced write is lost, which is the worst case the {@link LogStorage} contract allows. The node
 * {@link #bind bound} to the storage is durable at once.
 *
 * <p><b>Closing.</b> {@link #close()} is idempotent; every other method throws {@link IllegalStateException} after it.
 */
public final class InMemoryLogStorage implements LogStorage {

    private final Object lock = new Object();

    /** What the storage currently holds, including unsynced writes. Guarded by {@code lock}. */
    private final LogState current;

    /** What the last {@link #sync()} made durable. Guarded by {@code lock}. */
    private final LogState durable;

    /** The lowest index written or truncated since the last sync; {@code Long.MAX_VALUE} if none. */
    private long changedFrom = Long.MAX_VALUE;

    private boolean closed;

    /** The node {@link #bind bound} to this storage, or null; durable at once. Guarded by {@code lock}. */
    private NodeId owner;

    /** Creates an empty log: {@code firstIndex() == 1}, {@code lastIndex() == 0}, {@link HardState#INITIAL}. */
    public InMemoryLogStorage() {
        this(new LogState(1, 0, new ArrayList<>(), HardState.INITIAL));
    }

    private InMemoryLogStorage(LogState durableState) {
        this.current = durableState.copy();
        this.durable = durableState.copy();
    }

    /**
     * Returns a new storage holding only what the last {@link #sync()} made durable, as a restarted node would find
     * it after a crash. This storage is not changed.
     *
     * @return an independent storage with the durable state
     * @throws IllegalStateException if this storage is closed
     */
    public InMemoryLogStorage crashCopy() {
        synchronized (lock) {
            checkOpen();
            InMemoryLogStorage copy = new InMemoryLogStorage(durable);
            copy.owner = owner;
            return copy;
        }
    }

    /**
     * {@inheritDoc} The id is kept with the storage, durable at once ({@link #crashCopy()} keeps it).
     *
     * @throws IOException if another node is bound to this storage
     * @throws NullPointerException if {@code node} is null
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void bind(NodeId node) throws IOException {
        Objects.requireNonNull(node, "node");
        synchronized (lock) {
            checkOpen();
            if (owner != null && !owner.equals(node)) {
                throw new IOException("this InMemoryLogStorage belongs to node " + owner + ", not to " + node
                        + ": give each node its own storage (a new member an empty one)");
            }
            owner = node;
        }
    }

    @Override
    public long firstIndex() {
        synchronized (lock) {
            checkOpen();
            return current.firstIndex;
        }
    }

    @Override
    public long lastIndex() {
        synchronized (lock) {
            checkOpen();
            return current.lastIndex();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public long term(long index) {
        synchronized (lock) {
            checkOpen();
            if (index < current.firstIndex - 1 || index > current.lastIndex()) {
                throw new IndexOutOfBoundsException("index " + index + " outside [" + (current.firstIndex - 1) + ", "
                        + current.lastIndex() + "]");
            }
            return index == current.firstIndex - 1 ? current.prevTerm : current.get(index).term();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) {
        synchronized (lock) {
            checkOpen();
            if (from > to) {
                throw new IllegalArgumentException("from (" + from + ") must not exceed to (" + to + ")");
            }
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
            }
            if (from < current.firstIndex || to > current.lastIndex() + 1) {
                throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") outside [" + current.firstIndex
                        + ", " + (current.lastIndex() + 1) + "]");
            }
            List<LogEntry> result = new ArrayList<>();
            long bytes = 0;
            for (long i = from; i < to; i++) {
                LogEntry e = current.get(i);
                bytes += e.sizeBytes();
                if (!result.isEmpty() && bytes > maxBytes) {
                    break;
                }
                result.add(e);
            }
            return result;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws NullPointerException if {@code entries} or one of its elements is null
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void append(List<LogEntry> entries) {
        Objects.requireNonNull(entries, "entries");
        synchronized (lock) {
            checkOpen();
            long expected = current.lastIndex() + 1;
            for (LogEntry e : entries) {
                Objects.requireNonNull(e, "entry");
                if (e.index() != expected) {
                    throw new IllegalArgumentException("entry index " + e.index() + " where " + expected
                            + " was expected");
                }
                expected++;
            }
            if (!entries.isEmpty()) {
                changedFrom = Math.min(changedFrom, entries.get(0).index());
            }
            current.entries.addAll(entries);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void truncateSuffix(long fromIndex) {
        synchronized (lock) {
            checkOpen();
            if (fromIndex < current.firstIndex || fromIndex > current.lastIndex() + 1) {
                throw new IndexOutOfBoundsException("fromIndex " + fromIndex + " outside [" + current.firstIndex
                        + ", " + (current.lastIndex() + 1) + "]");
            }
            changedFrom = Math.min(changedFrom, fromIndex);
            current.truncateSuffix(fromIndex);
        }
    }

    /**
     * {@inheritDoc} This implementation discards exactly the entries up to {@code upToIndex}.
     *
     * @throws IndexOutOfBoundsException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void compactPrefix(long upToIndex) {
        synchronized (lock) {
            checkOpen();
            if (upToIndex < current.firstIndex - 1 || upToIndex > current.lastIndex()) {
                throw new IndexOutOfBoundsException("upToIndex " + upToIndex + " outside [" + (current.firstIndex - 1)
                        + ", " + current.lastIndex() + "]");
            }
            current.compactPrefix(upToIndex);
        }
    }

    /**
     * {@inheritDoc} Durable at once, together with every earlier write.
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void reset(long index, long term) {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("index and term must be at least 1: " + index + ", " + term);
        }
        synchronized (lock) {
            checkOpen();
            current.entries.clear();
            current.firstIndex = index + 1;
            current.prevTerm = term;
            durable.replaceWith(current, 0);
            changedFrom = Long.MAX_VALUE;
        }
    }

    /**
     * Makes every earlier write durable, so that {@link #crashCopy()} returns it.
     *
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void sync() {
        synchronized (lock) {
            checkOpen();
            durable.replaceWith(current, changedFrom);
            changedFrom = Long.MAX_VALUE;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public HardState hardState() {
        synchronized (lock) {
            checkOpen();
            return current.hardState;
        }
    }

    /**
     * Replaces the hard state; durable when the next {@link #sync()} returns.
     *
     * @throws NullPointerException if {@code state} is null
     * @throws IllegalStateException if the storage is closed
     */
    @Override
    public void saveHardState(HardState state) {
        Objects.requireNonNull(state, "state");
        synchronized (lock) {
            checkOpen();
            current.hardState = state;
        }
    }

    /** Releases the entries. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            current.entries.clear();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("InMemoryLogStorage is closed");
        }
    }

    /**
     * One version of the log. Invariant: {@code entries.get(i).index() == firstIndex + i}; {@code prevTerm} is the
     * term of {@code firstIndex - 1} (0 if nothing was compacted).
     */
    private static final class LogState {
        private long firstIndex;
        private long prevTerm;
        private final ArrayList<LogEntry> entries;
        private HardState hardState;

        LogState(long firstIndex, long prevTerm, ArrayList<LogEntry> entries, HardState hardState) {
            this.firstIndex = firstIndex;
            this.prevTerm = prevTerm;
            this.entries = entries;
            this.hardState = hardState;
        }

        long lastIndex() {
            return firstIndex + entries.size() - 1;
        }

        LogEntry get(long index) {
            return entries.get((int) (index - firstIndex));
        }

        void truncateSuffix(long fromIndex) {
            entries.subList((int) (fromIndex - firstIndex), entries.size()).clear();
        }

        void compactPrefix(long upToIndex) {
            if (upToIndex < firstIndex) {
                return;
            }
            prevTerm = get(upToIndex).term();
            entries.subList(0, (int) (upToIndex + 1 - firstIndex)).clear();
            firstIndex = upToIndex + 1;
        }

        /**
         * Makes this state equal to {@code other}, given that the two agree on every index below
         * {@code changedFrom}. Entries are immutable, so the shared part is kept and only the changed suffix is
         * copied: the cost is proportional to the change.
         */
        void replaceWith(LogState other, long changedFrom) {
            if (other.firstIndex > lastIndex() + 1 || other.firstIndex < firstIndex) {
                entries.clear();
                firstIndex = other.firstIndex;
            } else if (other.firstIndex > firstIndex) {
                entries.subList(0, (int) (other.firstIndex - firstIndex)).clear();
                firstIndex = other.firstIndex;
            }
            prevTerm = other.prevTerm;
            hardState = other.hardState;
            long unchanged = Math.max(0, changedFrom - firstIndex);
            int keep = (int) Math.min(Math.min(entries.size(), other.entries.size()), unchanged);
            entries.subList(keep, entries.size()).clear();
            entries.addAll(other.entries.subList(keep, other.entries.size()));
        }

        LogState copy() {
            return new LogState(firstIndex, prevTerm, new ArrayList<>(entries), hardState);
        }
    }
}
