package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.Member;
import org.raftlib.RaftNode;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.RecordingStateMachine;

/** What a leader logs when a member forwards it commands it refuses. */
class ForwardedRefusalWarningsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(Member.of("n1", "a"), Member.of("n2", "b"),
            Member.of("n3", "c"));

    private final LocalTransport.Hub hub = LocalTransport.hub(23);
    private final List<RaftNode> nodes = new ArrayList<>();

    @AfterEach
    void closeAll() {
        nodes.forEach(RaftNode::close);
        hub.close();
    }

    /**
     * Refusals of forwarded commands a member sends at will are logged at most once a second per reason, with a count
     * of those suppressed (found by a probe: 5,000 bad proposals forwarded by one peer gave 5,000 WARN lines).
     */
    @Test
    void refusalsOfForwardedCommandsAreRateLimited() throws Exception {
        for (int i = 0; i < 2; i++) {
            RaftNode node = RaftNode.builder().id(MEMBERS.get(i).id()).members(MEMBERS)
                    .stateMachine(new RecordingStateMachine()).logStorage(new InMemoryLogStorage())
                    .transport(hub.transport()).randomSeed(40 + i)
                    .options(RaftOptions.defaults().withElectionTimeout(Duration.ofMillis(300))
                            .withHeartbeatInterval(Duration.ofMillis(30)).withMaxCommandBytes(1024))
                    .build();
            nodes.add(node);
            node.start();
        }
        AtomicInteger answers = new AtomicInteger();
        Transport peer = hub.transport();                    // n3: a member that only forwards bad commands
        peer.start(MEMBERS.get(2), m -> {
            if (m instanceof ForwardProposalResponse) {
                answers.incrementAndGet();
            }
        });
        peer.updatePeers(MEMBERS.subList(0, 2));
        RaftNode[] leader = new RaftNode[1];
        Await.until("a leader", WAIT, () -> {
            leader[0] = nodes.stream().filter(n -> n.status().isLeader()).findFirst().orElse(null);
            return leader[0] != null;
        });

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int each = 2_500;
            for (int i = 1; i <= each; i++) {
                peer.send(new ForwardProposal(MEMBERS.get(2).id(), leader[0].id(), 1, i, EntryType.COMMAND,
                        Bytes.wrap(new byte[2048])));
                peer.send(new ForwardProposal(MEMBERS.get(2).id(), leader[0].id(), 1, each + i, EntryType.SESSION,
                        Bytes.wrap(new byte[] {1})));
            }
            Await.until("every refusal answered", WAIT, () -> answers.get() >= 2 * each);
        } finally {
            System.setErr(err);
        }

        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        long tooLarge = lines.stream().filter(l -> l.contains("above maxCommandBytes")).count();
        long malformed = lines.stream().filter(l -> l.contains("refused a malformed session entry")).count();
        assertThat(tooLarge).as("one WARN per reason a second: %s", lines.size()).isBetween(1L, 40L);
        assertThat(malformed).as("one WARN per reason a second").isBetween(1L, 40L);
    }
}
