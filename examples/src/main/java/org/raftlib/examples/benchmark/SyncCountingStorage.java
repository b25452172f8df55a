package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;

/** Counts the syncs of a {@link LogStorage}, to report how many writes one durable flush covered. */
final class SyncCountingStorage implements LogStorage {

    private final LogStorage delegate;
    private final AtomicLong syncs = new AtomicLong();

    SyncCountingStorage(LogStorage delegate) {
        this.delegate = delegate;
    }

    long syncs() {
        return syncs.get();
    }

    @Override
    public long firstIndex() {
        return delegate.firstIndex();
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public long term(long index) throws IOException {
        return delegate.term(index);
    }

    @Override
    public List<LogEntry> entries(long from, long to, long maxBytes) throws IOException {
        return delegate.entries(from, to, maxBytes);
    }

    @Override
    public void append(List<LogEntry> entries) throws IOException {
        delegate.append(entries);
    }

    @Override
    public void truncateSuffix(long fromIndex) throws IOException {
        delegate.truncateSuffix(fromIndex);
    }

    @Override
    public void compactPrefix(long upToIndex) throws IOException {
        delegate.compactPrefix(upToIndex);
    }

    @Override
    public void sync() throws IOException {
        syncs.incrementAndGet();
        delegate.sync();
    }

    @Override
    public HardState hardState() {
        return delegate.hardState();
    }

    @Override
    public void saveHardState(HardState state) throws IOException {
        delegate.saveHardState(state);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
