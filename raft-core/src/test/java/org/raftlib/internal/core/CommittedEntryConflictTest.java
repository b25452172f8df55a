package org.raftlib.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.raftlib.internal.core.Cores.n;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.raftlib.HardState;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;

/**
 * A follower whose committed entries disagree with its leader's log stops, naming the index, instead of taking the
 * leader's entries for ones it applied or keeping its own while it follows. Found by an outside probe: a node once
 * bootstrapped alone (20 writes committed) and restarted with the cluster's members read ready, served its own
 * history as linearizable reads, and later led a second cluster of one. The same holds for a member whose data was
 * restored from an older copy, when its commit index shows it.
 */
class CommittedEntryConflictTest {

    @Test
    void aFollowerStopsWhenTheLeaderDisagreesWithAnEntryItCommitted() {
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        nodes.put(n(1), TestNode.start(Cores.config(1, 2), Cores.entries(1, 2, 2),
                new HardState(2, Optional.empty(), 0)));
        nodes.put(n(2), TestNode.start(Cores.config(2, 2), Cores.entries(1, 1, 1, 1),
                new HardState(1, Optional.empty(), 3)));
        nodes.get(n(1)).core().campaign();

        assertThatThrownBy(() -> ReplicationRulesTest.deliverAll(nodes)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("n2 [term 3] committed index 2 in term 1, but leader n1 holds it in term 2")
                .hasMessageContaining("not this cluster's log");
        assertThat(nodes.get(n(2)).log().all().get(1).term()).as("its entry kept").isEqualTo(1);
    }

    @Test
    void aFollowerWhoseCommittedEntriesMatchTakesTheRest() {
        Map<NodeId, TestNode> nodes = new TreeMap<>();
        nodes.put(n(1), TestNode.start(Cores.config(1, 2), Cores.entries(1, 1, 2, 2),
                new HardState(2, Optional.empty(), 0)));
        nodes.put(n(2), TestNode.start(Cores.config(2, 2), Cores.entries(1, 1, 1),
                new HardState(1, Optional.empty(), 2)));
        nodes.get(n(1)).core().campaign();

        ReplicationRulesTest.deliverAll(nodes);

        assertThat(nodes.get(n(1)).core().status().role()).isEqualTo(RaftRole.LEADER);
        assertThat(nodes.get(n(2)).log().all()).isEqualTo(nodes.get(n(1)).log().all());
    }
}
