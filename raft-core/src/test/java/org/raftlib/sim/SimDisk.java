package org.raftlib.sim;

import java.util.ArrayList;
import java.util.List;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.core.LogView;
import org.raftlib.core.Ready;

/**
 * What a simulated node has made durable: its log and hard state. A write reaches it only when the simulated
 * storage completes it, so a crash loses exactly the writes not yet completed.
 */
final class SimDisk implements LogView {

    private final List<LogEntry> entries = new ArrayList<>();
    private HardState hardState = HardState.INITIAL;

    /** Applies one Ready's writes, as a completed sync does. */
    void write(Ready rd) {
        rd.hardState().ifPresent(hs -> hardState = hs);
        if (rd.truncateFrom().isPresent()) {
            long from = rd.truncateFrom().getAsLong();
            if (from > entries.size() + 1) {
                throw new IllegalStateException("truncate beyond end: " + from + " > " + (entries.size() + 1));
            }
            entries.subList((int) from - 1, entries.size()).clear();
        }
        for (LogEntry e : rd.entries()) {
            if (e.index() != entries.size() + 1) {
                throw new IllegalStateException("storage gap: appending " + e.index() + " after " + entries.size());
            }
            entries.add(e);
        }
    }

    HardState hardState() {
        return hardState;
    }

    List<LogEntry> entries() {
        return entries;
    }

    @Override
    public long firstIndex() {
        return 1;
    }

    @Override
    public long lastIndex() {
        return entries.size();
    }

    @Override
    public long term(long index) {
        if (index == 0) {
            return 0;
        }
        if (index < 0 || index > entries.size()) {
            throw new IndexOutOfBoundsException("term(" + index + ") outside [0, " + entries.size() + "]");
        }
        return entries.get((int) index - 1).term();
    }

    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) {
        if (from < 1 || to > entries.size() + 1 || from > to) {
            throw new IndexOutOfBoundsException("entries(" + from + ", " + to + ") outside [1, " + (entries.size() + 1)
                    + "]");
        }
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i < to; i++) {
            LogEntry e = entries.get((int) i - 1);
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                break;
            }
            out.add(e);
            bytes += e.sizeBytes();
        }
        return out;
    }
}
