package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.ClusterConfig;
import org.raftlib.EntryType;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.internal.core.Cores;
import org.raftlib.internal.core.IndexedConfig;
import org.raftlib.internal.core.SnapshotPoint;
import org.raftlib.internal.core.TestNode;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;

/**
 * A node learns the addresses of every configuration it comes to hold, also one that replaces another at the same
 * index. Here n2 holds an uncommitted configuration X (learner n4) at index 2; the new leader's committed Y (learner
 * n5), also at index 2, reaches n2 in a snapshot. Addresses were learned when the configuration's index changed, so
 * n5's address never reached the transport (found by a review once snapshots kept the entry's index).
 */
class MembershipAddressLearningTest {

    static final class PeersTransport implements Transport {
        final List<Collection<Member>> updates = new ArrayList<>();

        @Override
        public void start(Member self, Consumer<RaftMessage> inbound) {
        }

        @Override
        public void updatePeers(Collection<Member> peers) {
            updates.add(List.copyOf(peers));
        }

        @Override
        public void send(RaftMessage message) {
        }

        @Override
        public void close() {
        }
    }

    private static final List<Member> BASE = List.of(Member.of("n1", "a:1"), Member.of("n2", "b:2"),
            Member.of("n3", "c:3"));

    @Test
    void aConfigurationInstalledAtTheSameIndexIsLearned() {
        ClusterConfig x = ClusterConfig.of(BASE, List.of(Member.of("n4", "x:4")));
        ClusterConfig y = ClusterConfig.of(BASE, List.of(Member.of("n5", "y:5")));
        TestNode f = TestNode.start(Cores.config(2, 3), List.of(LogEntry.command(1, 1, Bytes.EMPTY),
                new LogEntry(1, 2, EntryType.CONFIGURATION, Bytes.wrap(x.encode()))),
                new HardState(2, Optional.empty(), 0));
        PeersTransport transport = new PeersTransport();
        NodeParts parts = new NodeParts(NodeId.of("n2"), BASE, false, transport, null, null, null, null, List.of(), 10,
                null, 0, null, null);
        MembershipChanges changes = new MembershipChanges(f.core(), parts);

        changes.observe();
        assertThat(transport.updates.get(transport.updates.size() - 1)).contains(Member.of("n4", "x:4"));

        f.core().step(new InstallSnapshot(NodeId.of("n1"), NodeId.of("n2"), 2, 5, 2, 0, Bytes.EMPTY, false));
        f.handle();
        f.core().installSnapshot(NodeId.of("n1"), new SnapshotPoint(5, 2), new IndexedConfig(y, 2),
                new InstallSnapshotResponse(NodeId.of("n2"), NodeId.of("n1"), 2, 5, 99, true));
        f.handle();
        changes.observe();

        assertThat(f.core().configuration()).isEqualTo(y);
        assertThat(transport.updates.get(transport.updates.size() - 1)).as("n5's address reached the transport")
                .contains(Member.of("n5", "y:5"));
    }
}
