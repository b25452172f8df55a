package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import org.raftlib.LogEntry;

/**
 * A durable log for tests: a list that a {@link Ready} is written to. Entries start at index 1, or after the snapshot
 * a Ready's {@code install} resets it to (compaction is ignored: it keeps everything).
 */
public final class MemoryLog implements LogView {

    private final List<LogEntry> entries = new ArrayList<>();
    private long snapshotIndex;
    private long snapshotTerm;

    /**
     * Creates a log holding {@code initial}, which must start at index 1.
     *
     * @param initial the durable entries
     */
    public MemoryLog(List<LogEntry> initial) {
        entries.addAll(initial);
    }

    @Override
    public long firstIndex() {
        return snapshotIndex + 1;
    }

    @Override
    public long lastIndex() {
        return snapshotIndex + entries.size();
    }

    @Override
    public long term(long index) {
        return index == snapshotIndex ? snapshotTerm : entries.get((int) (index - snapshotIndex) - 1).term();
    }

    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) {
        return slice(entries, from - snapshotIndex, to - snapshotIndex, maxBytes);
    }

    /**
     * Returns entries {@code [from, to)} of a log held as a list from index 1, at least one, stopping once
     * {@code maxBytes} would be exceeded.
     *
     * @param log the entries, index 1 first
     * @param from the first index
     * @param to the index after the last
     * @param maxBytes soft size limit
     * @return a new list
     */
    public static List<LogEntry> slice(List<LogEntry> log, long from, long to, long maxBytes) {
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i < to; i++) {
            LogEntry e = log.get((int) i - 1);
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                break;
            }
            out.add(e);
            bytes += e.sizeBytes();
        }
        return out;
    }

    /** Writes the truncation and entries of {@code rd}, as the runtime's storage worker would. */
    public void persist(Ready rd) {
        rd.install().ifPresent(p -> {
            entries.clear();
            snapshotIndex = p.index();
            snapshotTerm = p.term();
        });
        rd.truncateFrom().ifPresent(from -> entries.subList((int) (from - snapshotIndex) - 1, entries.size()).clear());
        for (LogEntry e : rd.entries()) {
            if (e.index() != lastIndex() + 1) {
                throw new IllegalStateException("gap: writing " + e.index() + " after " + lastIndex());
            }
            entries.add(e);
        }
    }

    /** Returns a copy of every entry. */
    public List<LogEntry> all() {
        return List.copyOf(entries);
    }
}
