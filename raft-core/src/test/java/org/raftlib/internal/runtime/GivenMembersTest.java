package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.LogStorage;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;
import org.raftlib.local.InMemoryLogStorage;
import org.raftlib.local.LocalTransport;
import org.raftlib.testkit.Await;
import org.raftlib.testkit.KeptOpen;
import org.raftlib.testkit.RecordingStateMachine;

/**
 * The start-up warning for a node restarted with other members than the configuration it holds (outside probe: one
 * restarted with n3 swapped for n4 ran on n1, n2, n3 without a word, while its application used the new list).
 */
class GivenMembersTest {

    private static final NodeId N1 = NodeId.of("n1");
    private static final List<Member> THREE = List.of(Member.of("n1", "h:1"), Member.of("n2", "h:2"),
            Member.of("n3", "h:3"));

    @Test
    void theSameMembersInAnyOrderSayNothing() {
        assertThat(GivenMembers.mismatch(N1, List.of(THREE.get(2), THREE.get(0), THREE.get(1)),
                ClusterConfig.ofVoters(THREE), 7)).isEmpty();
    }

    @Test
    void aNodeWithoutAConfigurationYetSaysNothing() {
        assertThat(GivenMembers.mismatch(N1, THREE, ClusterConfig.EMPTY, 0)).isEmpty();
    }

    @Test
    void addressesTheConfigurationLacksAreTakenFromTheMembersGiven() {
        ClusterConfig bare = ClusterConfig.ofVoters(List.of(Member.of("n1", ""), Member.of("n2", ""),
                Member.of("n3", "")));
        assertThat(GivenMembers.mismatch(N1, THREE, bare, 0)).isEmpty();
    }

    @Test
    void anotherMemberOrAddressIsNamed() {
        List<Member> swapped = List.of(THREE.get(0), THREE.get(1), Member.of("n4", "h:4"));
        assertThat(GivenMembers.mismatch(N1, swapped, ClusterConfig.ofVoters(THREE), 12)).hasValueSatisfying(w ->
                assertThat(w).contains("n1 was started with the members [n1=h:1, n2=h:2, n4=h:4]")
                        .contains("(index 12) has [n1=h:1, n2=h:2, n3=h:3]").contains("is in force"));
        List<Member> moved = List.of(THREE.get(0), THREE.get(1), Member.of("n3", "other:3"));
        assertThat(GivenMembers.mismatch(N1, moved, ClusterConfig.ofVoters(THREE), 12)).isPresent();
    }

    /**
     * A member of the configuration in force whose address nothing gives refuses the start: an outside probe restarted
     * n3 with n2 left out of its members, and with the leader killed, n2 and n3 (two of three) could elect no one.
     */
    @Test
    void aMemberWithNoAddressRefusesTheStart() {
        ClusterConfig bare = ClusterConfig.ofVoters(List.of(Member.of("n1", ""), Member.of("n2", ""),
                Member.of("n3", "")));
        List<Member> withoutN2 = List.of(THREE.get(0), THREE.get(2), Member.of("n4", "h:4"));

        assertThat(GivenMembers.unaddressed(NodeId.of("n3"), withoutN2, bare, 5)).hasValueSatisfying(r ->
                assertThat(r).contains("n3 cannot start").contains("(index 5)")
                        .contains("members gives no address for [n2]"));
        assertThat(GivenMembers.unaddressed(N1, THREE, bare, 5)).isEmpty();
        assertThat(GivenMembers.unaddressed(N1, List.of(THREE.get(0)), ClusterConfig.ofVoters(THREE), 5))
                .as("addresses the configuration holds").isEmpty();
    }

    /** The same through the API: a node restarted with a member left out of {@code members} does not start. */
    @Test
    void aRestartWithAMemberLeftOutFailsStartNamingIt() throws Exception {
        LocalTransport.Hub hub = LocalTransport.hub(5);
        List<RaftNode> nodes = new ArrayList<>();
        try {
            List<InMemoryLogStorage> disks = new ArrayList<>();
            for (Member m : THREE) {
                InMemoryLogStorage disk = new InMemoryLogStorage();
                disks.add(disk);
                nodes.add(node(m.id(), THREE, KeptOpen.log(disk), hub));
            }
            Await.until("a committed write", Duration.ofSeconds(20), () -> nodes.stream().anyMatch(n -> {
                try {
                    return n.status().isLeader() && n.submit(new byte[] {1}).get(5, TimeUnit.SECONDS) != null;
                } catch (Exception e) {
                    return false;
                }
            }));
            nodes.get(2).close();

            RaftNode restarted = RaftNode.builder().id("n3").members(List.of(THREE.get(0), THREE.get(2)))
                    .stateMachine(new RecordingStateMachine()).logStorage(disks.get(2).crashCopy())
                    .transport(hub.transport()).build();
            nodes.add(restarted);

            assertThatThrownBy(restarted::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("members gives no address for [n2]");
        } finally {
            nodes.forEach(RaftNode::close);
            hub.close();
        }
    }

    private static RaftNode node(NodeId id, List<Member> members, LogStorage storage, LocalTransport.Hub hub)
            throws IOException {
        RaftNode n = RaftNode.builder().id(id).members(members).stateMachine(new RecordingStateMachine())
                .logStorage(storage).transport(hub.transport()).build();
        n.start();
        return n;
    }
}
