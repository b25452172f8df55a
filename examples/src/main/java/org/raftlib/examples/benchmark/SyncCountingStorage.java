package org.raftlib.examples.benchmark;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.raftlib.LogStorage;
import org.raftlib.local.ForwardingLogStorage;

/** Counts the syncs of a {@link LogStorage}, to report how many writes one durable flush covered. */
final class SyncCountingStorage extends ForwardingLogStorage {

    private final AtomicLong syncs = new AtomicLong();

    SyncCountingStorage(LogStorage delegate) {
        super(delegate);
    }

    long syncs() {
        return syncs.get();
    }

    @Override
    public void sync() throws IOException {
        syncs.incrementAndGet();
        super.sync();
    }
}
