package org.raftlib.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;

/**
 * A whole cluster's life in one call, for tests that check raftlib works in a given environment (a classpath shared
 * with other libraries, say): three nodes on free loopback ports, each with a transport from the factory and an
 * in-memory log; a leader is elected, commands are committed and applied everywhere, the leader is stopped and the
 * other two elect a new one and commit more.
 */
public final class ClusterSmoke {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private ClusterSmoke() {
    }

    /**
     * Runs the cluster and closes it.
     *
     * @param transports makes each node's transport
     * @param commands how many commands to commit before and after the leader change
     * @throws AssertionError if a step does not happen within its deadline or a node applies something else
     * @throws Exception if a node cannot be built or a command fails
     */
    public static void threeNodes(Supplier<Transport> transports, int commands) throws Exception {
        List<Member> members = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            members.add(new Member(NodeId.of(id), "127.0.0.1:" + Ports.freeLoopbackPort()));
        }
        List<RaftNode> nodes = new ArrayList<>();
        List<RecordingStateMachine> machines = new ArrayList<>();
        try {
            for (Member m : members) {
                RecordingStateMachine sm = new RecordingStateMachine();
                RaftNode node = RaftNode.builder().id(m.id()).members(members).stateMachine(sm)
                        .logStorage(new InMemoryLogStorage()).transport(transports.get())
                        .options(RaftOptions.defaults().withTickInterval(Duration.ofMillis(10))
                                .withElectionTimeout(Duration.ofMillis(300))
                                .withHeartbeatInterval(Duration.ofMillis(30)))
                        .build();
                nodes.add(node);
                machines.add(sm);
                node.start();
            }
            RaftNode first = submitAll(nodes, commands, "a");
            Await.until("every node to apply " + commands + " commands", WAIT,
                    () -> machines.stream().allMatch(sm -> sm.size() == commands));
            first.close();
            List<RaftNode> rest = nodes.stream().filter(n -> n != first).toList();
            submitAll(rest, commands, "b");
            List<RecordingStateMachine> remaining = rest.stream().map(n -> machines.get(nodes.indexOf(n))).toList();
            Await.until("the two remaining nodes to apply " + 2 * commands + " commands", WAIT,
                    () -> remaining.stream().allMatch(sm -> sm.size() == 2 * commands));
            if (!remaining.get(0).applied().equals(remaining.get(1).applied())) {
                throw new AssertionError("nodes applied different commands: " + remaining.get(0).applied() + " and "
                        + remaining.get(1).applied());
            }
        } finally {
            nodes.forEach(RaftNode::close);
        }
    }

    private static RaftNode submitAll(List<RaftNode> nodes, int commands, String prefix) throws Exception {
        Await.until("a leader", WAIT, () -> nodes.stream().filter(n -> n.status().isLeader()).count() == 1);
        RaftNode leader = nodes.stream().filter(n -> n.status().isLeader()).findFirst().orElseThrow();
        for (int i = 0; i < commands; i++) {
            leader.submit((prefix + i).getBytes(StandardCharsets.UTF_8)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        return leader;
    }

}
