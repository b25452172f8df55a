package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.Member;
import org.raftlib.NodeState;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * A node started on another node's log directory (a deployment that points n2 at n1's directory) refuses to start,
 * naming both nodes and the directory, and leaves the directory to n1. Before, n2 started silently with n1's vote and
 * log.
 */
class NodeIdentityRaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final RaftOptions OPTIONS = RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(200))
            .withHeartbeatInterval(Duration.ofMillis(40));

    @TempDir
    Path dir;
    private final LocalTransport.Hub hub = LocalTransport.hub(5);
    private RaftNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
        hub.close();
    }

    /** Builds a single-member node {@code id} on the log directory. */
    private RaftNode node(String id, RecordingStateMachine machine) throws IOException {
        node = RaftNode.builder().id(id).members(Member.of(id, "local-" + id)).stateMachine(machine)
                .logStorage(FileLogStorage.open(dir.resolve("log"))).transport(hub.transport()).randomSeed(1)
                .options(OPTIONS).build();
        return node;
    }

    @Test
    void aNodeStartedOnAnotherNodesDirectoryIsRefusedAndTheDirectoryStaysUsableByItsNode() throws Exception {
        RaftNode n1 = node("n1", new RecordingStateMachine());
        n1.start();
        Await.until("n1 to lead", WAIT, () -> n1.status().isLeader());
        n1.submit("x".getBytes(StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
        n1.close();
        Map<String, byte[]> before = NodeIdentityFileTest.files(dir.resolve("log"));

        RaftNode n2 = node("n2", new RecordingStateMachine());
        assertThatThrownBy(n2::start).isInstanceOf(StorageException.class)
                .hasMessageContaining("log directory " + dir.resolve("log").toAbsolutePath()
                        + " belongs to node n1, not to n2")
                .hasMessageContaining("start n2 on its own directory")
                .hasMessageContaining("a new member starts on an empty directory");
        assertThat(n2.status().state()).isEqualTo(NodeState.FAILED);
        Map<String, byte[]> after = NodeIdentityFileTest.files(dir.resolve("log"));
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));

        RecordingStateMachine machine = new RecordingStateMachine();
        RaftNode again = node("n1", machine);
        again.start();
        Await.until("n1 to apply its log again", WAIT, () -> machine.applied().equals(List.of("x")));
    }
}
