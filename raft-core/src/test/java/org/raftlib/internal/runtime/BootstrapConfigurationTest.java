package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.KeptOpen;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * The first leader writes the bootstrap configuration to the log, so a restart keeps it whatever members the node
 * is then given. Before, a cluster that never changed members nor took a snapshot rebuilt its configuration from the
 * members of each start: a node restarted with an edited list changed its voters without a word (outside probe).
 */
class BootstrapConfigurationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> THREE = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(150))
            .withHeartbeatInterval(Duration.ofMillis(20));

    private final LocalTransport.Hub hub = LocalTransport.hub(31);
    private final Map<NodeId, InMemoryLogStorage> logs = new HashMap<>();
    private final Map<NodeId, RaftNode> nodes = new HashMap<>();
    private final Map<NodeId, RecordingStateMachine> machines = new HashMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    private RaftNode start(NodeId id, List<Member> members) throws IOException {
        InMemoryLogStorage previous = logs.get(id);
        InMemoryLogStorage log = previous == null ? new InMemoryLogStorage() : previous.crashCopy();
        logs.put(id, log);
        RecordingStateMachine machine = new RecordingStateMachine();
        machines.put(id, machine);
        RaftNode node = RaftNode.builder().id(id).members(members).stateMachine(machine)
                .logStorage(KeptOpen.log(log)).transport(hub.transport()).randomSeed(id.hashCode()).options(OPTIONS)
                .build();
        nodes.put(id, node);
        node.start();
        return node;
    }

    private RaftNode leader() {
        Await.until("a leader", WAIT, () -> nodes.values().stream().anyMatch(n -> n.status().isLeader()));
        return nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
    }

    @Test
    void aNodeRestartedWithAnEditedMemberListKeepsTheConfigurationItsLogHolds() throws Exception {
        for (Member m : THREE) {
            start(m.id(), THREE);
        }
        leader().submit("x".getBytes(StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
        Await.until("every node to hold the configuration in its log", WAIT,
                () -> nodes.values().stream().allMatch(n -> n.status().configurationIndex() >= 1));
        NodeId follower = nodes.values().stream().filter(n -> !n.status().isLeader()).findFirst().orElseThrow().id();
        nodes.remove(follower).close();

        List<Member> edited = new ArrayList<>(THREE.stream().filter(m -> m.id().equals(leader().id())).toList());
        edited.add(THREE.stream().filter(m -> m.id().equals(follower)).findFirst().orElseThrow());
        edited.add(Member.of("n4", "local-4"));                 // "n4 replaces the third node", by editing the list
        RaftNode restarted = start(follower, edited);

        assertThat(restarted.status().configuration().voters()).as("the log's configuration, not the list given")
                .isEqualTo(Set.of(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3")));
        leader().submit("y".getBytes(StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
        Await.until(follower + " to catch up", WAIT, () -> machines.get(follower).applied().size() == 2);
    }
}
