package org.raftlib.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.RaftNodeContract;

/** {@link RaftNodeContract} over {@link LocalTransport} and {@link InMemoryLogStorage}. */
class LocalRaftNodeTest extends RaftNodeContract {

    private final LocalTransport.Hub hub = LocalTransport.hub(42);
    private final Map<NodeId, InMemoryLogStorage> disks = new HashMap<>();

    @AfterEach
    void closeHub() {
        hub.close();
    }

    @Override
    protected List<Member> members(int n) {
        List<Member> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Member.of("n" + i, "local-" + i));
        }
        return out;
    }

    @Override
    protected Transport transport(NodeId id) {
        return hub.transport();
    }

    /** A restarted node finds what its previous incarnation synced, as after a crash. */
    @Override
    protected LogStorage openStorage(NodeId id) {
        InMemoryLogStorage previous = disks.get(id);
        InMemoryLogStorage disk = previous == null ? new InMemoryLogStorage() : previous.crashCopy();
        disks.put(id, disk);
        return new KeepOpen(disk);
    }

    /** Lets the test read the durable state after the node closed its storage. */
    private record KeepOpen(InMemoryLogStorage d) implements LogStorage {
        @Override
        public long firstIndex() {
            return d.firstIndex();
        }

        @Override
        public long lastIndex() {
            return d.lastIndex();
        }

        @Override
        public long term(long index) {
            return d.term(index);
        }

        @Override
        public List<LogEntry> entries(long from, long to, long maxBytes) {
            return d.entries(from, to, maxBytes);
        }

        @Override
        public void append(List<LogEntry> entries) {
            d.append(entries);
        }

        @Override
        public void truncateSuffix(long fromIndex) {
            d.truncateSuffix(fromIndex);
        }

        @Override
        public void compactPrefix(long upToIndex) {
            d.compactPrefix(upToIndex);
        }

        @Override
        public void sync() {
            d.sync();
        }

        @Override
        public HardState hardState() {
            return d.hardState();
        }

        @Override
        public void saveHardState(HardState state) {
            d.saveHardState(state);
        }

        @Override
        public void close() throws IOException {
            // the test keeps the "disk" to reopen it
        }
    }
}
