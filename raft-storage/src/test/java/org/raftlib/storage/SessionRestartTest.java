package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.ClientSession;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.SnapshotStateMachine;

/**
 * Exactly-once commands on disk: the session table written into {@link FileSnapshotStore} files, the log compacted
 * in {@link FileLogStorage} past every session entry, every node restarted from its directory, and a retried command
 * still answered with its original result and applied once.
 */
class SessionRestartTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "local-1"), Member.of("n2", "local-2"),
            Member.of("n3", "local-3"));
    private static final RaftOptions OPTIONS = RaftOptions.defaults()
            .withElectionTimeout(Duration.ofMillis(1000)).withHeartbeatInterval(Duration.ofMillis(50))
            .withSnapshotPolicy(50, Long.MAX_VALUE, 10);

    @TempDir
    Path dir;
    private final LocalTransport.Hub hub = LocalTransport.hub(23);
    private final Map<NodeId, RaftNode> nodes = new HashMap<>();
    private final Map<NodeId, SnapshotStateMachine> machines = new HashMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        hub.close();
    }

    @Test
    void sessionDedupSurvivesASnapshotAndARestartOfEveryNode() throws Exception {
        startAll();
        RaftNode leader = awaitLeader();
        ClientSession session = leader.openSession().get(20, TimeUnit.SECONDS);
        session.submit(bytes("first")).get(20, TimeUnit.SECONDS);
        String original = text(session.submit(bytes("second")).get(20, TimeUnit.SECONDS));
        List<CompletableFuture<byte[]>> plain = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            plain.add(leader.submit(bytes("p" + i)));
        }
        for (CompletableFuture<byte[]> f : plain) {
            f.get(20, TimeUnit.SECONDS);
        }
        for (NodeId id : List.copyOf(nodes.keySet())) {
            Await.until(id + " to compact past the session", WAIT, () -> nodes.get(id).status().firstLogIndex() > 20);
            nodes.remove(id).close();
        }

        startAll();
        RaftNode next = awaitLeader();
        ClientSession resumed = next.resumeSession(session.id(), 2);
        assertThat(text(resumed.submit(bytes("second")).get(20, TimeUnit.SECONDS))).isEqualTo(original);
        assertThat(text(resumed.submit(bytes("third")).get(20, TimeUnit.SECONDS))).endsWith(":third");
        for (NodeId id : nodes.keySet()) {
            SnapshotStateMachine m = machines.get(id);
            Await.until(id + " to apply third", WAIT, () -> m.applied().contains("third"));
            assertThat(m.restores()).as("%s started from its snapshot file", id).isEqualTo(1);
            assertThat(Collections.frequency(m.applied(), "second")).as("%s applied it once", id).isEqualTo(1);
            assertThat(m.applied()).hasSize(123);
        }
    }

    private void startAll() throws IOException {
        for (Member member : MEMBERS) {
            NodeId id = member.id();
            SnapshotStateMachine machine = new SnapshotStateMachine();
            machines.put(id, machine);
            Path home = dir.resolve(id.value());
            RaftNode node = RaftNode.builder().id(id).members(MEMBERS).stateMachine(machine)
                    .logStorage(FileLogStorage.open(home.resolve("log")))
                    .snapshotStore(FileSnapshotStore.open(home.resolve("snapshots")))
                    .transport(hub.transport()).randomSeed(id.hashCode()).options(OPTIONS).build();
            nodes.put(id, node);
            node.start();
        }
    }

    private RaftNode awaitLeader() {
        RaftNode[] leader = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            leader[0] = nodes.values().stream().filter(n -> n.status().isLeader()).findFirst().orElse(null);
            return leader[0] != null;
        });
        return leader[0];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
