package org.raftlib.internal.core;

import java.util.List;
import org.raftlib.LogEntry;

/**
 * The most recent durable entries, kept in memory so that replication and apply read them without going to
 * {@link LogView} (a file read and a checksum per entry). A consecutive run of indexes, bounded in bytes: the oldest
 * entries are evicted first, and a truncation drops the suffix it supersedes. Not thread-safe: confined to the node
 * loop.
 */
final class EntryCache {

    private final long maxBytes;
    private LogEntry[] ring = new LogEntry[1024];
    private int start;
    private int count;
    private long firstIndex;
    private long bytes;

    EntryCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Returns whether {@code index} is cached. */
    boolean contains(long index) {
        return count > 0 && index >= firstIndex && index < firstIndex + count;
    }

    /** Returns the cached entry at {@code index}; see {@link #contains}. */
    LogEntry get(long index) {
        return ring[(start + (int) (index - firstIndex)) % ring.length];
    }

    /** Adds entries that just became durable; a run that does not follow the cached one replaces it. */
    void add(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (count > 0 && entries.get(0).index() != firstIndex + count) {
            clear();
        }
        for (LogEntry e : entries) {
            if (count == 0) {
                firstIndex = e.index();
            }
            if (count == ring.length) {
                grow();
            }
            ring[(start + count) % ring.length] = e;
            count++;
            bytes += e.sizeBytes();
        }
        while (bytes > maxBytes && count > 1) {
            bytes -= ring[start].sizeBytes();
            ring[start] = null;
            start = (start + 1) % ring.length;
            firstIndex++;
            count--;
        }
    }

    /** Drops the entries at {@code index} and after, which a new leader's entries supersede. */
    void truncateFrom(long index) {
        while (count > 0 && firstIndex + count - 1 >= index) {
            int last = (start + count - 1) % ring.length;
            bytes -= ring[last].sizeBytes();
            ring[last] = null;
            count--;
        }
    }

    private void clear() {
        truncateFrom(firstIndex);
        start = 0;
    }

    private void grow() {
        LogEntry[] bigger = new LogEntry[ring.length * 2];
        for (int i = 0; i < count; i++) {
            bigger[i] = ring[(start + i) % ring.length];
        }
        ring = bigger;
        start = 0;
    }
}
