package org.raftlib.local;

import java.io.IOException;
import java.util.List;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;

/**
 * A {@link LogStorage} that forwards every call to another one. Extend it to decorate a storage: count or time calls,
 * or inject faults in tests, overriding only the methods concerned.
 */
public class ForwardingLogStorage implements LogStorage {

    private final LogStorage delegate;

    /**
     * Creates a forwarder.
     *
     * @param delegate where calls go
     */
    public ForwardingLogStorage(LogStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public void bind(NodeId node) throws IOException {
        delegate.bind(node);
    }

    @Override
    public int maxEntryBytes() {
        return delegate.maxEntryBytes();
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
    public void reset(long index, long term) throws IOException {
        delegate.reset(index, term);
    }

    @Override
    public void sync() throws IOException {
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
