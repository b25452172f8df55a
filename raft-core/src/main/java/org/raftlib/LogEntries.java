package org.raftlib;

import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * Immutable copies of entry lists, all of one class. The messages and batches that carry entries use it instead of
 * {@link List#copyOf}, which returns one class for one or two elements and another for more: the JIT compiles the
 * code that walks entries for the class it saw first, and a cluster that replicates one entry at a time and then
 * many would recompile that code. Thread-safe (immutable).
 */
public final class LogEntries {

    private static final Frozen EMPTY = new Frozen(new LogEntry[0]);

    private LogEntries() {
    }

    /**
     * Returns an immutable, random-access copy of {@code entries}, or {@code entries} itself if it is one already.
     *
     * @param entries the entries
     * @return the copy
     * @throws NullPointerException if {@code entries} or an element is null
     */
    public static List<LogEntry> copyOf(List<LogEntry> entries) {
        if (entries instanceof Frozen f) {
            return f;
        }
        if (entries.isEmpty()) {
            return EMPTY;
        }
        LogEntry[] a = entries.toArray(new LogEntry[0]);
        for (LogEntry e : a) {
            Objects.requireNonNull(e, "entry");
        }
        return new Frozen(a);
    }

    /** The list: reads only; every mutator throws, as {@link AbstractList}'s do. */
    private static final class Frozen extends AbstractList<LogEntry> implements RandomAccess {
        private final LogEntry[] a;

        Frozen(LogEntry[] a) {
            this.a = a;
        }

        @Override
        public LogEntry get(int index) {
            return a[index];
        }

        @Override
        public int size() {
            return a.length;
        }
    }
}
