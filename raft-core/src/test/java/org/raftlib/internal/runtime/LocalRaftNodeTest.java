package org.raftlib.internal.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.KeptOpen;
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
        return KeptOpen.log(disk);                           // reopened with crashCopy()
    }
}
