package org.raftlib.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.internal.core.LogView;

/**
 * Lets the core read a {@link LogStorage}. An {@link IOException} becomes an {@link UncheckedIOException}, which the
 * node loop turns into a node failure.
 */
final class StorageLogView implements LogView {

    private final LogStorage storage;

    StorageLogView(LogStorage storage) {
        this.storage = storage;
    }

    @Override
    public long firstIndex() {
        return storage.firstIndex();
    }

    @Override
    public long lastIndex() {
        return storage.lastIndex();
    }

    @Override
    public long term(long index) {
        try {
            return storage.term(index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the term at " + index, e);
        }
    }

    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) {
        try {
            return storage.entries(from, to, maxBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read entries [" + from + ", " + to + ")", e);
        }
    }
}
