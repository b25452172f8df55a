package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import org.raftlib.LogEntries;
import org.raftlib.LogEntry;

/**
 * The entries of a node's log that are not yet known to be durable: the ones handed to storage and not yet
 * acknowledged, and the ones not handed out at all.
 *
 * <p>Invariants: entries are consecutive from {@code offset}; {@code offset - 1} is the last index of the durable
 * prefix of the current log; {@code offset <= offsetInProgress <= lastIndex() + 1}, and the entries before
 * {@code offsetInProgress} have been handed to storage. Not thread-safe: confined to the node loop.
 */
final class UnstableLog {

    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private int head;
    private long offset;
    private long offsetInProgress;

    UnstableLog(long offset) {
        this.offset = offset;
        this.offsetInProgress = offset;
    }

    long offset() {
        return offset;
    }

    long lastIndex() {
        return offset + size() - 1;
    }

    boolean isEmpty() {
        return size() == 0;
    }

    boolean contains(long index) {
        return index >= offset && index <= lastIndex();
    }

    LogEntry get(long index) {
        return entries.get(head + (int) (index - offset));
    }

    /**
     * Appends entries, first discarding every unstable entry at or after the first new index. If the first new index
     * is below {@code offset}, the durable suffix from there on is superseded too (the runtime truncates storage).
     */
    void truncateAndAppend(List<LogEntry> newEntries) {
        long first = newEntries.get(0).index();
        if (first > lastIndex() + 1) {
            throw new IllegalStateException("gap: appending " + first + " after unstable last " + lastIndex());
        }
        if (first <= offset) {
            entries.clear();
            head = 0;
            offset = first;
        } else {
            int keep = head + (int) (first - offset);
            entries.subList(keep, entries.size()).clear();
        }
        offsetInProgress = Math.min(offsetInProgress, first);
        entries.addAll(newEntries);
    }

    /** Drops every entry; the log continues at {@code newOffset} (a snapshot covers everything before it). */
    void reset(long newOffset) {
        entries.clear();
        head = 0;
        offset = newOffset;
        offsetInProgress = newOffset;
    }

    boolean hasEntriesToPersist() {
        return offsetInProgress <= lastIndex();
    }

    /** Returns the entries not yet handed to storage, and marks them handed out. */
    List<LogEntry> takeForPersistence() {
        long last = lastIndex();
        if (offsetInProgress > last) {
            return List.of();
        }
        int from = head + (int) (offsetInProgress - offset);
        List<LogEntry> out = LogEntries.copyOf(entries.subList(from, entries.size()));
        offsetInProgress = last + 1;
        return out;
    }

    /**
     * Storage made entries up to {@code index} (whose entry has {@code term}) durable; they leave the unstable log.
     * Ignored when the entry there was replaced since, or was never handed out.
     *
     * @return whether anything became stable
     */
    boolean stableTo(long index, long term) {
        if (!contains(index) || index >= offsetInProgress || get(index).term() != term) {
            return false;
        }
        head += (int) (index + 1 - offset);
        offset = index + 1;
        if (head > 1024 && head > entries.size() / 2) {
            entries.subList(0, head).clear();
            head = 0;
        }
        return true;
    }

    /** Returns the entries {@code [from, to)}, all of which must be unstable. */
    List<LogEntry> slice(long from, long to) {
        int a = head + (int) (from - offset);
        int b = head + (int) (to - offset);
        return entries.subList(a, b);
    }

    private int size() {
        return entries.size() - head;
    }
}
