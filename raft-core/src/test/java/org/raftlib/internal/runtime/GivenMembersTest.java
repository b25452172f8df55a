package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;

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
}
